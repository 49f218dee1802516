import HTTPTypes
import Hummingbird
import NIOCore

/// The files the EmbedAssets plugin embeds (`client/` and `openapi.yaml`), served with their content
/// types and an `ETag`: `/client/streamhub.js`, `/client/streamhub.d.ts`, `/api/v1/openapi.yaml`
/// and the demo page, `/demo`.
struct AssetRoutes {
    struct Asset {
        let body: ByteBuffer
        let contentType: String
        let etag: String

        init(_ name: String, _ contentType: String) {
            let text = EmbeddedAssets.files[name] ?? ""
            body = ByteBuffer(string: text)
            self.contentType = contentType
            etag = "\"\(String(Self.fnv1a(text.utf8), radix: 16))\""
        }

        /// FNV-1a, 64 bits: enough to tell two versions of a file apart.
        private static func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt64 {
            bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
        }
    }

    static let client: [(path: String, asset: Asset)] = [
        ("/client/streamhub.js", Asset("streamhub.js", "text/javascript; charset=utf-8")),
        ("/client/streamhub.d.ts", Asset("streamhub.d.ts", "text/plain; charset=utf-8")),
        ("/api/v1/openapi.yaml", Asset("openapi.yaml", "application/yaml; charset=utf-8")),
    ]
    static let demo = Asset("demo.html", "text/html; charset=utf-8")

    /// Adds the client and the spec, and the demo page unless `demo` is false (then `/demo` is `404`).
    static func add(to router: Router<BasicRequestContext>, demo: Bool) {
        for (path, asset) in client {
            router.get(RouterPath(path)) { request, _ in serve(asset, to: request) }
        }
        if demo {
            router.get("/demo") { request, _ in serve(Self.demo, to: request) }
        }
    }

    /// `200` with the file, or `304` when the client's `If-None-Match` names its `ETag`.
    private static func serve(_ asset: Asset, to request: Request) -> Response {
        var headers: HTTPFields = [.eTag: asset.etag, .cacheControl: "no-cache"]
        let known = request.headers[.ifNoneMatch]?.split(separator: ",").contains { $0.filter { $0 != " " } == asset.etag }
        if known == true { return Response(status: .notModified, headers: headers) }
        headers[.contentType] = asset.contentType
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: asset.body))
    }
}
