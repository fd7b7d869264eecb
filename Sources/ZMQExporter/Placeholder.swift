import ZeroMQ
// The agent lands with its issue; this file keeps the target buildable until then.
enum ZMQExporterPlaceholder {}
