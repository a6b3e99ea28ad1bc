/// A member name as a set element: equal when the characters are equal.
struct NameKey: Hashable {
    let hash: UInt64
    let name: JSONReader.Name

    init(_ name: JSONReader.Name) {
        self.name = name
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        if let decoded = name.decoded {
            for byte in decoded { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        } else {
            for byte in name.bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        }
        self.hash = hash
    }

    static func == (lhs: NameKey, rhs: NameKey) -> Bool {
        guard lhs.hash == rhs.hash else { return false }
        switch (lhs.name.decoded, rhs.name.decoded) {
        case (nil, nil): return lhs.name.bytes.elementsEqual(rhs.name.bytes)
        case (let a?, nil): return a.elementsEqual(rhs.name.bytes)
        case (nil, let b?): return lhs.name.bytes.elementsEqual(b)
        case (let a?, let b?): return a == b
        }
    }

    func hash(into hasher: inout Hasher) { hasher.combine(hash) }
}

/// The member names of one object. Small objects (almost all) are checked by a short linear
/// scan over hashes on a stack the reader reuses, so reading allocates nothing per object;
/// objects with many members switch to a set.
struct NameSet {
    var large: Set<NameKey>?
    let frame: Int

    init(on stack: [NameKey]) { frame = stack.count }

    mutating func insert(_ name: JSONReader.Name, stack: inout [NameKey]) -> Bool {
        let key = NameKey(name)
        if large != nil { return large!.insert(key).inserted }
        for i in frame..<stack.count where stack[i] == key { return false }
        stack.append(key)
        if stack.count - frame > 32 {
            large = Set(stack[frame...])
            stack.removeSubrange(frame...)
        }
        return true
    }

    func end(_ stack: inout [NameKey]) {
        stack.removeSubrange(frame...)
    }
}
