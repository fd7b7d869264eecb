import CZeroMQ

/// The socket types of libzmq 4.3's stable API.
public enum SocketType: String, Sendable, CaseIterable, Hashable {
    case pair = "PAIR"
    case pub = "PUB"
    case sub = "SUB"
    case req = "REQ"
    case rep = "REP"
    case dealer = "DEALER"
    case router = "ROUTER"
    case pull = "PULL"
    case push = "PUSH"
    case xpub = "XPUB"
    case xsub = "XSUB"
    case stream = "STREAM"

    var rawType: Int32 {
        switch self {
        case .pair: ZMQ_PAIR
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        case .dealer: ZMQ_DEALER
        case .router: ZMQ_ROUTER
        case .pull: ZMQ_PULL
        case .push: ZMQ_PUSH
        case .xpub: ZMQ_XPUB
        case .xsub: ZMQ_XSUB
        case .stream: ZMQ_STREAM
        }
    }

    /// The type named `name` in any letter case (`sub`, `SUB`), or nil.
    public init?(name: String) {
        self.init(rawValue: name.uppercased())
    }
}
