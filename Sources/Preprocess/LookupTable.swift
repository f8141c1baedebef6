/// A DICOM lookup table (Modality or VOI LUT Sequence item): descriptor and data, PS3.3 C.11.1.1.
public struct LookupTable: Sendable, Equatable {
    /// The first stored (or modality) value that is mapped.
    public var firstMapped: Int
    /// Bits per entry of the LUT data (descriptor value 3).
    public var bitsPerEntry: Int
    public var data: [UInt16]

    public init(firstMapped: Int, bitsPerEntry: Int, data: [UInt16]) {
        self.firstMapped = firstMapped
        self.bitsPerEntry = bitsPerEntry
        self.data = data
    }

    /// Reads a LUT from a sequence item, e.g. `item = "ModalityLUTSequence[0]"`.
    /// The descriptor's first value is the entry count (0 means 65536); its second is signed when the
    /// input is signed.
    static func read(from file: DICOMFile, item: String, inputSigned: Bool) -> LookupTable? {
        guard let count = file.number("\(item).LUTDescriptor", index: 0),
              var first = file.number("\(item).LUTDescriptor", index: 1),
              let bits = file.number("\(item).LUTDescriptor", index: 2),
              var data = file.words("\(item).LUTData"), !data.isEmpty else { return nil }
        let entries = count == 0 ? 65536 : Int(count)
        if inputSigned, first > 32767 { first -= 65536 }  // the descriptor is US even for signed inputs
        // 8-bit LUTs may arrive packed two entries per word.
        if bits <= 8, data.count * 2 == entries {
            data = data.flatMap { [UInt16($0 & 0xFF), UInt16($0 >> 8)] }
        }
        guard data.count >= entries else { return nil }
        return LookupTable(firstMapped: Int(first), bitsPerEntry: Int(bits), data: Array(data.prefix(entries)))
    }

    /// The entry for an input value; inputs outside the table take the first or last entry.
    @inline(__always)
    public func entry(for value: Float) -> UInt16 {
        let i = Int(value.rounded(.down)) - firstMapped
        if i <= 0 { return data[0] }
        if i >= data.count - 1 { return data[data.count - 1] }
        return data[i]
    }

    /// Largest value an entry can hold.
    public var maxEntry: Float { Float((1 << bitsPerEntry) - 1) }
}
