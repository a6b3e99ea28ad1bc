import Bulla
import BullaCrypto
import Foundation

/// A user name and password (or token) for one registry. Never printed: its description hides
/// the secret.
public struct RegistryLogin: Sendable, CustomStringConvertible {
    /// The account name, safe to show in messages (unlike the secret).
    public let username: String
    let secret: String

    /// A login from a flag, a config file or a credential helper; the secret stays unprintable.
    public init(username: String, secret: String) {
        self.username = username
        self.secret = secret
    }

    /// `Basic base64(user:secret)`.
    var basicAuthorization: String { "Basic " + Base64.encode(Array("\(username):\(secret)".utf8)) }

    /// `user:•••`, so a login that reaches a log line or an error never shows its secret.
    public var description: String { "\(username):•••" }
}

/// Where credentials come from, as docker, podman and skopeo keep them: an auth file given on
/// the command line, `REGISTRY_AUTH_FILE`, then `$DOCKER_CONFIG/config.json` or
/// `~/.docker/config.json`. Each file's `credHelpers` entry for the host wins, then its `auths`
/// entry (`auth` = base64 `user:password`, or `username`/`password`), then its `credsStore`,
/// run as `docker-credential-<name> get`.
public struct RegistryCredentials: Sendable {
    /// The config files searched, in order; the first with an entry for the registry wins.
    public var files: [String]
    /// The files named on purpose (`--authfile`, `REGISTRY_AUTH_FILE`) and who named them: one of
    /// these that cannot be read is an error, where a missing default config means no login.
    public var namedFiles: [String: String] = [:]

    /// The files docker, podman and skopeo read, `authFile` first (spec/registries.md, "Credentials").
    public init(authFile: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        var files: [String] = []
        if let authFile {
            files.append(authFile)
            namedFiles[authFile] = "--authfile"
        }
        if let file = environment["REGISTRY_AUTH_FILE"], !file.isEmpty {
            files.append(file)
            namedFiles[file] = namedFiles[file] ?? "REGISTRY_AUTH_FILE"
        }
        if let directory = environment["DOCKER_CONFIG"], !directory.isEmpty {
            files.append("\(directory)/config.json")
        } else if let home = environment["HOME"], !home.isEmpty {
            files.append("\(home)/.docker/config.json")
        }
        self.files = files
    }

    /// The login for `registry` (`HOST[:PORT]`), nil when no file has one.
    public func login(for registry: String) throws -> RegistryLogin? {
        for file in files {
            let bytes: Data
            do {
                bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                guard let namer = namedFiles[file] else { continue }
                throw BullaError(.notFound, "\(namer) \(file) cannot be read", underlying: "\(error)")
            }
            guard let config = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] else {
                throw BullaError(.malformedInput, "\(file) is not a JSON object of registry credentials")
            }
            let keys = Self.keys(for: registry)
            if let helpers = config["credHelpers"] as? [String: String], let helper = keys.lazy.compactMap({ helpers[$0] }).first,
               let login = try Self.run(helper: helper, for: Self.helperName(registry)) {
                return login
            }
            if let auths = config["auths"] as? [String: Any],
               let entry = keys.lazy.compactMap({ auths[$0] as? [String: Any] }).first,
               let login = try Self.login(from: entry, registry: registry, file: file) {
                return login
            }
            if let store = config["credsStore"] as? String, !store.isEmpty,
               let login = try Self.run(helper: store, for: Self.helperName(registry)) {
                return login
            }
        }
        return nil
    }

    /// The names a config may file a registry under: `host`, `https://host`, `http://host`,
    /// and Docker Hub's historical `https://index.docker.io/v1/`.
    static func keys(for registry: String) -> [String] {
        var keys = [registry, "https://\(registry)", "http://\(registry)", "https://\(registry)/v1/", "https://\(registry)/v2/"]
        if registry == "docker.io" {
            keys = ["https://index.docker.io/v1/", "index.docker.io", "registry-1.docker.io"] + keys
        }
        return keys
    }

    /// The name helpers file a registry under: Docker Hub's is its historical index URL.
    static func helperName(_ registry: String) -> String {
        registry == "docker.io" ? "https://index.docker.io/v1/" : registry
    }

    private static func login(from entry: [String: Any], registry: String, file: String) throws -> RegistryLogin? {
        if let auth = entry["auth"] as? String, !auth.isEmpty {
            guard let decoded = Base64.decode(auth), let text = String(bytes: decoded, encoding: .utf8),
                  let colon = text.firstIndex(of: ":") else {
                throw BullaError(.malformedInput, "\(file): the auth entry for \(registry) is not base64 of user:password")
            }
            return RegistryLogin(username: String(text[..<colon]), secret: String(text[text.index(after: colon)...]))
        }
        if let username = entry["username"] as? String, let password = entry["password"] as? String {
            return RegistryLogin(username: username, secret: password)
        }
        return nil
    }

    /// `docker-credential-<helper> get`, the host on standard input, JSON `{Username, Secret}`
    /// out; "credentials not found" is no login, any other failure is an error.
    private static func run(helper: String, for registry: String) throws -> RegistryLogin? {
        guard helper.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw BullaError(.malformedInput, "credential helper name \"\(helper)\" is not a plain name")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["docker-credential-\(helper)", "get"]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            throw BullaError(.notFound, "credential helper docker-credential-\(helper) cannot be run", underlying: "\(error)")
        }
        input.fileHandleForWriting.write(Data(registry.utf8))
        try? input.fileHandleForWriting.close()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile().prefix(200), as: UTF8.self)
        process.waitUntilExit()
        let text = String(decoding: answer, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            if text.contains("credentials not found") || said.contains("credentials not found") { return nil }
            throw BullaError(.accessDenied, "credential helper docker-credential-\(helper) failed for \(registry) (exit \(process.terminationStatus))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: answer) as? [String: Any],
              let username = object["Username"] as? String, let secret = object["Secret"] as? String else {
            throw BullaError(.malformedInput, "credential helper docker-credential-\(helper) did not print {\"Username\",\"Secret\"} for \(registry)")
        }
        return RegistryLogin(username: username, secret: secret)
    }
}
