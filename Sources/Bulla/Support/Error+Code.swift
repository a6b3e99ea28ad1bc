import BullaCrypto

extension Error {
    /// The `BullaError.Code` of this error, for `catch let error where error.bullaCode == .notFound`.
    var bullaCode: BullaError.Code? { (self as? BullaError)?.code }
}
