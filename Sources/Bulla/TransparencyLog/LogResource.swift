/// A file a log publishes under the C2SP tlog-tiles paths: the checkpoint, a hash tile or an
/// entry bundle. Parsing is strict (no leading zeros, levels 0–63, widths 1–255), so a request
/// path can only ever name one of these files and never anything else in the directory.
public enum LogResource: Sendable, Hashable {
    case checkpoint
    case tile(level: Int, index: UInt64, width: Int)
    case entries(index: UInt64, width: Int)

    /// Parses a request path such as `/tile/0/x001/234.p/17`; nil when it names no log resource.
    public init?(path: String) {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if parts.first == "" { parts.removeFirst() }
        if parts == ["checkpoint"] {
            self = .checkpoint
            return
        }
        guard parts.count >= 3, parts[0] == "tile" else { return nil }
        var width = TileLayout.width
        if parts.count >= 2, parts[parts.count - 2].hasSuffix(".p") {
            guard let w = Self.decimal(parts[parts.count - 1], below: UInt64(TileLayout.width)), w > 0 else { return nil }
            width = Int(w)
            parts.removeLast()
            parts[parts.count - 1] = parts[parts.count - 1].dropLast(2)
        }
        // Index groups: x000 … x999 then a last 000 … 999.
        var index: UInt64 = 0
        for (position, group) in parts.dropFirst(2).enumerated() {
            let isLast = position == parts.count - 3
            let digits = isLast ? group : (group.first == "x" ? group.dropFirst() : "")
            guard digits.count == 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = UInt64(digits) else { return nil }
            let (scaled, overflow) = index.multipliedReportingOverflow(by: 1000)
            guard !overflow else { return nil }
            index = scaled + value
        }
        if parts[1] == "entries" {
            self = .entries(index: index, width: width)
        } else {
            guard let level = Self.decimal(parts[1], below: 64) else { return nil }
            self = .tile(level: Int(level), index: index, width: width)
        }
    }

    private static func decimal(_ text: Substring, below limit: UInt64) -> UInt64? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), text == "0" || text.first != "0",
              let value = UInt64(text), value < limit else { return nil }
        return value
    }

    /// The path relative to the log directory.
    public var path: String {
        switch self {
        case .checkpoint: "checkpoint"
        case .tile(let level, let index, let width): TileLayout.tilePath(level: level, index: index, width: width)
        case .entries(let index, let width): TileLayout.entriesPath(index: index, width: width)
        }
    }

    /// Whether a tree of `size` entries has this resource: a tile or bundle exists only up to
    /// the width the tree fills, so nothing past a signed size (say, written by an append that
    /// crashed before its commit) is ever published.
    public func isCovered(bySize size: UInt64) -> Bool {
        switch self {
        case .checkpoint:
            return true
        case .entries(let index, let width):
            return TileLayout.width(ofTile: index, count: size) == width
        case .tile(let level, let index, let width):
            guard level * TileLayout.height < 64 else { return false }
            let nodes = size >> UInt64(level * TileLayout.height)
            return TileLayout.width(ofTile: index, count: nodes) == width
        }
    }

    /// `text/plain` for the checkpoint, `application/octet-stream` for tiles, as tlog-tiles asks.
    public var contentType: String {
        self == .checkpoint ? "text/plain; charset=utf-8" : "application/octet-stream"
    }

    /// The resource's bytes in the log at `directory`, or nil when there is no such file.
    public func read(from directory: String) throws -> [UInt8]? {
        try FileIO.readIfPresent("\(directory)/\(path)", limit: self == .checkpoint ? TileLayout.maxCheckpointBytes : TileLayout.maxBundleBytes)
    }
}
