import Foundation
import Testing

@testable import StreamHubAlerts

@Suite struct WebhookSignatureTests {
    @Test func signatureIsHMACOfTimestampDotBody() {
        let body = Data(#"{"a":1}"#.utf8)
        let signature = WebhookNotifier.signature(body: body, secret: "key", at: Date(timeIntervalSince1970: 1_700_000_000))
        // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key
        #expect(signature == "t=1700000000,v1=a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03")
    }
}
