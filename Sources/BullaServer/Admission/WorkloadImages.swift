import Bulla
import BullaCrypto

/// One image a workload would run: which container asks for it, and where in the object the
/// reference sits (a JSON Pointer, for the `/mutate` patch).
public struct ContainerImage: Sendable, Hashable {
    /// `containers`, `initContainers` or `ephemeralContainers`.
    public var list: String
    public var container: String
    public var image: String
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

    public static var kinds: [String] { podSpecPaths.keys.sorted() }

    static let lists = ["initContainers", "containers", "ephemeralContainers"]

    /// The images of `object`, a `kind`; refuses what cannot be read, since an image that is
    /// not seen is not checked.
    public static func images(in object: JSONValue, kind: String) throws -> [ContainerImage] {
        guard let path = podSpecPaths[kind] else {
            throw BullaError(.unsupported, "kind \(kind) is not one bulla reads (\(kinds.joined(separator: ", ")))")
        }
        var spec: JSONValue? = object
        for key in path { spec = spec?[key] }
        // A ReplicationController may omit its template; it then runs nothing.
        guard let spec, spec != .null else {
            if kind == "ReplicationController" { return [] }
            throw BullaError(.malformedInput, "the \(kind) has no pod spec at /\(path.joined(separator: "/"))")
        }
        let base = "/" + path.joined(separator: "/")
        var found: [ContainerImage] = []
        for list in lists {
            guard let value = spec[list], value != .null else { continue }
            guard case .array(let containers) = value else { throw BullaError(.malformedInput, "\(base)/\(list) is not a list") }
            for (index, container) in containers.enumerated() {
                let name = container["name"]?.stringValue ?? "#\(index)"
                guard let image = container["image"]?.stringValue, !image.isEmpty else {
                    throw BullaError(.malformedInput, "\(list) \(name) names no image")
                }
                found.append(ContainerImage(list: list, container: name, image: image, pointer: "\(base)/\(list)/\(index)/image"))
            }
        }
        return found
    }
}
