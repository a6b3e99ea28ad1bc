import BullaCrypto

/// One image a workload would run: which container asks for it, and where in the object the
/// reference sits (a JSON Pointer, for the `/mutate` patch).
public struct ContainerImage: Sendable, Hashable {
    /// `containers`, `initContainers` or `ephemeralContainers`.
    public var list: String
    /// The container's `name`, so a denial says which container's image was refused.
    public var container: String
    /// The image string exactly as the workload wrote it, before any parsing or normalising.
    public var image: String
    /// The JSON Pointer (RFC 6901) to the `image` field, which `/mutate` replaces with a digest.
    public var pointer: String
}

/// Finds every image in the workload kinds admission is asked about: the pod template of each
/// is at a known place, and each of its three container lists is read.
public enum WorkloadImages {
    /// Where each kind keeps its pod spec.
    static let podSpecPaths: [String: [String]] = [
        "Pod": ["spec"],
        "Deployment": ["spec", "template", "spec"],
        "ReplicaSet": ["spec", "template", "spec"],
        "StatefulSet": ["spec", "template", "spec"],
        "DaemonSet": ["spec", "template", "spec"],
        "Job": ["spec", "template", "spec"],
        "ReplicationController": ["spec", "template", "spec"],
        "CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
    ]

    /// The workload kinds whose images are found, sorted: what the webhook's rules may select.
    public static var kinds: [String] { podSpecPaths.keys.sorted() }

    static let lists = ["initContainers", "containers", "ephemeralContainers"]

    /// The images of `object`, a `kind`; refuses what cannot be read, since an image that is
    /// not seen is not checked: every step to the pod spec must be an object, the spec must
    /// list at least one container, and each container must be an object with a string name
    /// and image. Anything else is not the shape the kind requires, and is denied with the
    /// reason rather than read as "no containers".
    public static func images(in object: JSONValue, kind: String) throws -> [ContainerImage] {
        guard let path = podSpecPaths[kind] else {
            throw BullaError(.unsupported, "kind \(kind) is not one bulla reads (\(kinds.joined(separator: ", ")))")
        }
        var spec = object
        for (depth, key) in path.enumerated() {
            let at = "/" + path[...depth].joined(separator: "/")
            switch spec[key] {
            case .object?:
                spec = spec[key]!
            case nil, .null?:
                // A ReplicationController may omit its template; it then runs nothing.
                if kind == "ReplicationController" && key == "template" { return [] }
                throw BullaError(.malformedInput, "the \(kind) has no \(at)")
            default:
                throw BullaError(.malformedInput, "the \(kind)'s \(at) is not an object")
            }
        }
        let base = "/" + path.joined(separator: "/")
        var found: [ContainerImage] = []
        for list in lists {
            guard let value = spec[list], value != .null else {
                if list == "containers" { throw BullaError(.malformedInput, "the \(kind) lists no containers at \(base)/containers") }
                continue
            }
            guard case .array(let containers) = value else { throw BullaError(.malformedInput, "\(base)/\(list) is not a list") }
            if list == "containers" && containers.isEmpty {
                throw BullaError(.malformedInput, "the \(kind) lists no containers at \(base)/containers")
            }
            for (index, container) in containers.enumerated() {
                guard case .object = container else { throw BullaError(.malformedInput, "\(base)/\(list)/\(index) is not an object") }
                let name: String
                switch container["name"] {
                case nil, .null?: name = "#\(index)"
                case .string(let text)?: name = text
                default: throw BullaError(.malformedInput, "\(base)/\(list)/\(index)/name is not a string")
                }
                guard case .string(let image)? = container["image"], !image.isEmpty else {
                    throw BullaError(.malformedInput, "\(list) \(name) names no image (\(base)/\(list)/\(index)/image is missing or not a string)")
                }
                found.append(ContainerImage(list: list, container: name, image: image, pointer: "\(base)/\(list)/\(index)/image"))
            }
        }
        return found
    }
}
