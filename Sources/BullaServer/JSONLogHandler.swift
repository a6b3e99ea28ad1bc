import Bulla
import BullaCrypto
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One JSON object per line on standard error (`time`, `level`, `logger`, `message`, then the
/// metadata), for log collectors that parse structured lines.
public struct JSONLogHandler: LogHandler {
    /// Metadata every line of this logger carries; an event's own metadata wins on a clash.
    public var metadata: Logger.Metadata = [:]
    /// The least severe level written; `bulla serve --log-level` sets it.
    public var logLevel: Logger.Level = .info
    private let label: String
    private static let lock = Mutex(())

    /// A handler whose lines name `label` as their `logger`, as `LoggingSystem` factories require.
    public init(label: String) {
        self.label = label
    }

    /// One metadata value of this logger, as swift-log's `LogHandler` requires.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes the event as one JSON line, whole, so lines from concurrent requests never interleave.
    public func log(event: LogEvent) {
        var members: [(String, JSONValue)] = [
            ("time", .string(Timestamp.rfc3339())), ("level", .string(event.level.rawValue)),
            ("logger", .string(label)), ("message", .string(event.message.description)),
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for key in merged.keys.sorted() { members.append((key, Self.json(merged[key]!))) }
        let line = JSONValue.object(members).serialized + [UInt8(ascii: "\n")]
        Self.lock.withLock { _ in
            line.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                    guard written > 0 || errno == EINTR else { return }
                    offset += max(written, 0)
                }
            }
        }
    }

    private static func json(_ value: Logger.MetadataValue) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        // Booleans and integers keep their JSON type, so a query on `allowed == false` works.
        case .stringConvertible(let value as Bool): .bool(value)
        case .stringConvertible(let value as Int): .integer(Int64(value))
        case .stringConvertible(let value): .string(value.description)
        case .array(let items): .array(items.map(json))
        case .dictionary(let map): .object(map.keys.sorted().map { ($0, json(map[$0]!)) })
        }
    }
}
