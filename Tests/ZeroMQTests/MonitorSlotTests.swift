import CZeroMQ
import Glibc
import Posix
import Testing
@testable import ZeroMQ

// A monitor whose reader connected before `zmq_socket_monitor` failed for want of a slot left
// an inproc connect pending. libzmq 4.3.4 then never reaps that reader (its slot is lost for
// good), and completes every pending connect when its context terminates, making a socket to
// bind each one: with no slot free it asserts (ctx.cpp:169) and the process aborts, as an agent
// at its socket limit did on SIGTERM. Both show here, in a child process: the failed reader's
// slot must come free, and the context is terminated while every slot is held.
@Suite struct MonitorSlotTests {
    @Test func aMonitorThatFoundNoSlotLeavesNothingToAbortTheContextTermination() async {
        await #expect(processExitsWith: .success) {
            do {
                let context = try Context(maxSockets: 5)
                let first = try context.socket(.pull)
                let firstMonitor = try SocketMonitor(socket: first)
                let second = try context.socket(.pull)
                // A slot for the reader, none for the monitor's own PAIR.
                do {
                    _ = try SocketMonitor(socket: second)
                    Issue.record("a fifth and sixth socket fitted in a context of 5")
                } catch let error as ZMQError {
                    #expect(error.function == "zmq_socket_monitor")
                }
                // Every slot held again: the failed reader's comes free once libzmq's reaper
                // has closed it.
                var third: Socket?
                let deadline = ContinuousClock.now + .seconds(10)
                while third == nil && ContinuousClock.now < deadline {
                    third = try? context.socket(.pull)
                }
                guard let third else {
                    Issue.record("the failed reader's slot never came free")
                    return
                }
                // zmq_ctx_term waits for open sockets, so it runs on a thread of its own; it has
                // passed the pending connects once an open socket's calls fail with ETERM.
                let handle = Int(bitPattern: context.handle)
                let terminating = try Thread(name: "ctx-term") {
                    _ = zmq_ctx_term(UnsafeMutableRawPointer(bitPattern: handle))
                }
                while ContinuousClock.now < deadline {
                    do {
                        _ = try third.receive(flags: .dontWait)
                    } catch let error as ZMQError where error.kind == .terminated {
                        break
                    } catch {}
                }
                firstMonitor.pairSocket.close()
                third.close()
                second.close()
                first.close()
                terminating.join()
                // The context is gone: leave before Swift would terminate it a second time.
                _exit(0)
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}
