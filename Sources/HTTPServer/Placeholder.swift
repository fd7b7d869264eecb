// The HTTP/1.1 server lands with its issue; this file keeps the target buildable until then.
enum HTTPServerPlaceholder {}
