/// The `Link` header registries page tag lists and referrers with (RFC 8288, as the
/// distribution spec uses it): `<URL>; rel="next"`.
public enum LinkHeader {
    /// The target of the `rel="next"` link, as written (often a path); nil when there is none.
    public static func next(in header: String) -> String? {
        for part in header.split(separator: ",") where part.contains("rel=\"next\"") {
            guard let open = part.firstIndex(of: "<"), let close = part.firstIndex(of: ">"), open < close else { continue }
            return String(part[part.index(after: open)..<close])
        }
        return nil
    }
}
