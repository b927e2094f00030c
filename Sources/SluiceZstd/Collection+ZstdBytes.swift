extension Collection<UInt8> {
    /// Calls `body` with the bytes in contiguous memory: in place when the collection has contiguous
    /// storage (`[UInt8]`, `ArraySlice`, `UnsafeRawBufferPointer`), otherwise from a temporary copy.
    ///
    /// The buffer is valid only inside `body`, which is where every libzstd call that reads it runs.
    func withZstdBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let inPlace = withContiguousStorageIfAvailable { buffer in
            Swift.Result { () throws(Failure) -> Result in try body(UnsafeRawBufferPointer(buffer)) }
        }
        if let inPlace {
            return try inPlace.get()
        }
        // An Array always has contiguous storage, so this does not recurse again.
        return try Array(self).withZstdBytes(body)
    }
}
