import Hummingbird

/// Turns Hummingbird's own errors (unknown route, wrong method) into the hub's `{"error": "..."}` answers.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let message = error.body ?? (error.status == .notFound ? "no route for \(request.method) \(request.uri.path)" : error.status.reasonPhrase)
            var response = APIError(error.status, message).response
            response.headers.append(contentsOf: error.headers)
            return response
        }
    }
}
