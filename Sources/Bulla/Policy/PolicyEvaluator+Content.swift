import BullaCrypto

/// The content rules: what a rule says about the packages, licences and fields of one
/// predicate, whoever signed it.
extension PolicyEvaluator {
    /// What the content rules say about one verified predicate.
    public func content(of predicate: RawJSON, sbom known: SBOM? = nil, _ requirement: AttestationRequirement, origin: String) -> [String] {
        var failed: [String] = []
        if requirement.readsPackages {
            do {
                let sbom = try known ?? SBOM(reading: predicate, what: "\(requirement.type) predicate")
                failed += Self.packageViolations(sbom, requirement)
            } catch {
                failed.append("the \(requirement.type) predicate of \(origin) is not an SBOM Bulla reads: \(error)")
            }
        }
        for field in requirement.requiredFields {
            do {
                if let violation = try field.violation(in: predicate) { failed.append(violation) }
            } catch {
                failed.append("field \(field.pointer) cannot be read: \(error)")
            }
        }
        return failed
    }

    static func packageViolations(_ sbom: SBOM, _ requirement: AttestationRequirement) -> [String] {
        var failed: [String] = []
        // Real SBOMs repeat a handful of licence texts thousands of times: each is judged once.
        var licenseVerdicts: [String: String?] = [:]
        // A purl is parsed only when it could name a denied package: its text contains the
        // denied name (most of a large SBOM is then never parsed).
        let needles = requirement.deniedPackages.map { Array(($0.purl?.name ?? $0.name ?? "").lowercased().utf8).map(Self.folded) }
        for package in sbom.packages {
            let candidate = Self.isOpaque(package.purl) || Self.isOpaque(package.name) || needles.contains { needle in
                Self.containsIgnoringCase(package.purl, needle) || Self.containsIgnoringCase(package.name, needle)
            }
            let purl = candidate ? package.purl.map(PackageURL.Reading.init) : nil
            func shown() -> String {
                "package \(package.name) \(package.version ?? purl?.readable?.version ?? "(no version)")" + (package.purl.map { " (\(Self.quoted($0)))" } ?? "")
            }
            for denial in requirement.deniedPackages where candidate {
                if let why = denial.denial(of: package, reading: purl) {
                    failed.append("\(shown()) is denied by \(denial.subject): \(why)" + (denial.reason.map { " — \($0)" } ?? ""))
                }
            }
            if !requirement.deniedLicenses.isEmpty, let license = package.license {
                let verdict: String?
                if let known = licenseVerdicts[license] {
                    verdict = known
                } else {
                    verdict = LicenseCheck.unavoidable(license, denied: requirement.deniedLicenses)
                    licenseVerdicts[license] = .some(verdict)
                }
                if let hit = verdict {
                    failed.append("\(shown()) has licence \(license), which needs denied \(hit)")
                }
            }
        }
        return failed
    }

    /// Text the byte-wise pre-filter cannot see through, so it is always judged in full: a
    /// percent escape (`%6B`) or any non-ASCII byte (U+212A KELVIN SIGN lower-cases to `k`).
    private static func isOpaque(_ text: String?) -> Bool {
        text?.utf8.contains { $0 == UInt8(ascii: "%") || $0 >= 0x80 } == true
    }

    /// A purl as a message shows it: at most 200 characters.
    static func quoted(_ text: String) -> String {
        text.utf8.count <= 200 ? text : String(decoding: text.utf8.prefix(200), as: UTF8.self) + "…"
    }

    /// Lower-case, with `_` and `.` as `-` (the pypi normalisation, the loosest a purl name
    /// comparison makes).
    private static func folded(_ b: UInt8) -> UInt8 {
        if b >= 0x41 && b <= 0x5A { return b | 0x20 }
        return b == UInt8(ascii: "_") || b == UInt8(ascii: ".") ? UInt8(ascii: "-") : b
    }

    /// Whether `needle` (already folded) occurs in `text` once folded: a cheap test before a
    /// purl is parsed.
    static func containsIgnoringCase(_ text: String?, _ needle: [UInt8]) -> Bool {
        guard var text, !needle.isEmpty else { return text != nil && needle.isEmpty }
        return text.withUTF8 { bytes in
            guard bytes.count >= needle.count else { return false }
            outer: for start in 0...(bytes.count - needle.count) {
                for (offset, byte) in needle.enumerated() {
                    if folded(bytes[start + offset]) != byte { continue outer }
                }
                return true
            }
            return false
        }
    }
}
