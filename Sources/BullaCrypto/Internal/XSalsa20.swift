/// XSalsa20 (Bernstein, "Extending the Salsa20 nonce", 2008): the stream cipher of NaCl's
/// `crypto_secretbox`, which seals cosign's private key files. OpenSSL has no Salsa20, so it is
/// written here: HSalsa20 turns the key and the first 16 nonce bytes into a subkey, and
/// Salsa20/20 under that subkey and the last 8 nonce bytes makes the key stream, block 0 first.
///
/// It only ever decrypts one small file (at most 16 KiB, spec/keys.md), so it is written to be
/// read, not to be fast. Every intermediate that depends on the key is zeroed before returning.
enum XSalsa20 {
    /// "expand 32-byte k" as four little-endian words: the constants of a 256-bit key's state.
    private static let sigma: [UInt32] = [0x6170_7865, 0x3320_646E, 0x7962_2D32, 0x6B20_6574]

    /// The first `count` bytes of the key stream of a 32-byte `key` and a 24-byte `nonce`.
    static func keyStream(key: [UInt8], nonce: [UInt8], count: Int) -> [UInt8] {
        precondition(key.count == 32 && nonce.count == 24 && count >= 0)
        var subkey = hSalsa20(key: key, input: nonce[0..<16])
        var k = words(subkey[...])
        Passphrase.zero(&subkey)
        let n = words(nonce[16..<24])
        var stream: [UInt8] = []
        stream.reserveCapacity(count + 64)
        var block: UInt64 = 0
        while stream.count < count {
            var input: [UInt32] = [
                sigma[0], k[0], k[1], k[2],
                k[3], sigma[1], n[0], n[1],
                UInt32(truncatingIfNeeded: block), UInt32(truncatingIfNeeded: block >> 32), sigma[2], k[4],
                k[5], k[6], k[7], sigma[3],
            ]
            var x = input
            doubleRounds(&x)
            for i in 0..<16 {
                appendLittleEndian(x[i] &+ input[i], to: &stream)
            }
            zero(&x)
            zero(&input)
            block += 1
        }
        zero(&k)
        if stream.count > count {
            // Zero the unused tail before dropping it, so no key stream is left in freed memory.
            stream.withUnsafeMutableBytes { Passphrase.zero(UnsafeMutableRawBufferPointer(rebasing: $0[count...])) }
            stream.removeLast(stream.count - count)
        }
        return stream
    }

    /// HSalsa20: 32 bytes from a 32-byte `key` and a 16-byte `input`, words 0, 5, 10, 15 and
    /// 6 to 9 of the state after the 20 rounds (no final addition).
    static func hSalsa20(key: [UInt8], input: ArraySlice<UInt8>) -> [UInt8] {
        precondition(key.count == 32 && input.count == 16)
        var k = words(key[...])
        let n = words(input)
        var x: [UInt32] = [
            sigma[0], k[0], k[1], k[2],
            k[3], sigma[1], n[0], n[1],
            n[2], n[3], sigma[2], k[4],
            k[5], k[6], k[7], sigma[3],
        ]
        zero(&k)
        doubleRounds(&x)
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for i in [0, 5, 10, 15, 6, 7, 8, 9] {
            appendLittleEndian(x[i], to: &out)
        }
        zero(&x)
        return out
    }

    /// Salsa20's 20 rounds: ten column rounds, each followed by a row round.
    private static func doubleRounds(_ x: inout [UInt32]) {
        for _ in 0..<10 {
            quarterRound(&x, 0, 4, 8, 12)
            quarterRound(&x, 5, 9, 13, 1)
            quarterRound(&x, 10, 14, 2, 6)
            quarterRound(&x, 15, 3, 7, 11)
            quarterRound(&x, 0, 1, 2, 3)
            quarterRound(&x, 5, 6, 7, 4)
            quarterRound(&x, 10, 11, 8, 9)
            quarterRound(&x, 15, 12, 13, 14)
        }
    }

    /// The quarter-round on words `a`, `b`, `c`, `d` of the state (Salsa20 specification §3).
    private static func quarterRound(_ x: inout [UInt32], _ a: Int, _ b: Int, _ c: Int, _ d: Int) {
        let t1 = rotate(x[a] &+ x[d], 7)
        x[b] ^= t1
        let t2 = rotate(x[b] &+ x[a], 9)
        x[c] ^= t2
        let t3 = rotate(x[c] &+ x[b], 13)
        x[d] ^= t3
        let t4 = rotate(x[d] &+ x[c], 18)
        x[a] ^= t4
    }

    private static func rotate(_ value: UInt32, _ count: UInt32) -> UInt32 {
        (value << count) | (value >> (32 - count))
    }

    /// Little-endian words of `bytes`, whose length is a multiple of four.
    private static func words(_ bytes: ArraySlice<UInt8>) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(bytes.count / 4)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            var word = UInt32(bytes[index])
            word |= UInt32(bytes[index + 1]) << 8
            word |= UInt32(bytes[index + 2]) << 16
            word |= UInt32(bytes[index + 3]) << 24
            out.append(word)
            index += 4
        }
        return out
    }

    private static func appendLittleEndian(_ word: UInt32, to bytes: inout [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: word))
        bytes.append(UInt8(truncatingIfNeeded: word >> 8))
        bytes.append(UInt8(truncatingIfNeeded: word >> 16))
        bytes.append(UInt8(truncatingIfNeeded: word >> 24))
    }

    /// Zeroes key-dependent words before the array is freed.
    private static func zero(_ words: inout [UInt32]) {
        words.withUnsafeMutableBytes { Passphrase.zero($0) }
    }
}
