/// Text from outside (a certificate's name, a payload's repository, a registry's answer) made
/// safe to print inside one line of a message: control characters (line breaks and escape
/// sequences among them), DEL, C1 controls and the bidirectional overrides are written as
/// `\u{XX}`, so such text cannot start a fake line, recolour or hide what follows, or reorder it.
extension String {
    /// This text with every control and bidirectional-override character escaped.
    public var printable: String {
        guard unicodeScalars.contains(where: Self.needsEscape) else { return self }
        var out = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            if Self.needsEscape(scalar) {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
