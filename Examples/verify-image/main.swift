// verify-image IMAGE KEY.pub [--insecure]: verifies a registry image's signatures with a
// public key, as a program that depends on Bulla would. Exit 0 verified, 1 not, 2 usage.
import Bulla
import BullaRegistry
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 3 || (arguments.count == 4 && arguments[3] == "--insecure") else {
    FileHandle.standardError.write(Data("usage: verify-image IMAGE KEY.pub [--insecure]\n".utf8))
    exit(2)
}
var options = RegistryOptions()
options.insecure = arguments.count == 4
let verifier = Verifier(opener: RegistryImages(options: options))
let image = try verifier.subject(try ImageReference(parsing: arguments[1]))
let result = try verifier.verify(image, trust: TrustPolicy(keys: [try KeyFile.verifyingKey(arguments[2])]))
print(result.verified ? "verified \(result.reference) \(result.digest)" : "not verified: " + result.signatures.map(\.reason).joined(separator: "; "))
exit(result.verified ? 0 : 1)
