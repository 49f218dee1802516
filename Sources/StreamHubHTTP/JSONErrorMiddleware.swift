import HTTPTypes
import Hummingbird
import Synchronization

/// Turns Hummingbird's own errors (unknown route, wrong method) into the hub's `{"error": "..."}`
/// answers: `405` with `Allow` for a path served with other methods, `404` for one not served.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let known: KnownRoutes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let allowed = error.status == .notFound ? known.methods(serving: request.uri.path) : []
            if !allowed.isEmpty {
                var response = APIError(
                    .methodNotAllowed, "\(request.method) is not served on \(request.uri.path); it takes \(allowed.joined(separator: ", "))"
                ).response
                response.headers[.allow] = allowed.joined(separator: ", ")
                return response
            }
            let message = error.body ?? (error.status == .notFound ? "no route for \(request.method) \(request.uri.path)" : error.status.reasonPhrase)
            var response = APIError(error.status, message).response
            response.headers.append(contentsOf: error.headers)
            return response
        }
    }
}

/// The routes a router serves, set once they are all added, to tell a wrong method from a wrong path.
final class KnownRoutes: Sendable {
    private let routes = Mutex<[(method: String, segments: [Substring])]>([])

    func set(_ routes: [Router<BasicRequestContext>.RouteDescription]) {
        let table = routes.map { (method: $0.method.rawValue, segments: $0.path.description.split(separator: "/")) }
        self.routes.withLock { $0 = table }
    }

    /// The methods served on `path`; a parameter segment (`:name` or `{name}`) matches any one segment.
    func methods(serving path: String) -> [String] {
        let segments = path.split(separator: "/")
        return routes.withLock { routes in
            routes.filter { route in
                route.segments.count == segments.count
                    && zip(route.segments, segments).allSatisfy { $0.hasPrefix(":") || $0.hasPrefix("{") || $0 == $1 }
            }.map(\.method)
        }
    }
}
