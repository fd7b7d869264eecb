print("zmq-exporter: the agent is not built yet")
