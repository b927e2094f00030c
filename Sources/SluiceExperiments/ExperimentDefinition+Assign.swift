extension ExperimentDefinition {
    /// The variation `attributes` get, as GrowthBook's `run` decides for the same definition.
    ///
    /// In order: a draft or stopped experiment takes nobody; a user without the hash attribute is out; then
    /// the namespace slice, the targeting, and the bucket ranges (coverage) decide. A user who is out gets the
    /// first variation's value and the ``Assignment/Exclusion``. Pure and allocation-free: the hashes run over
    /// the strings' UTF-16 code units and the precomputed seed, each string once; the ranges were computed with the
    /// definition.
    public func assign(_ attributes: ExperimentAttributes) -> Assignment {
        switch status {
        case .draft: return excluded(.draft)
        case .stopped: return excluded(.stopped)
        case .running: break
        }
        guard let hashValue = hashAttribute.value(in: attributes) else { return excluded(.missingHashAttribute) }
        let hashes = hashes(hashValue)
        if namespace?.contains(valueState: hashes.value) == false { return excluded(.notInNamespace) }
        if !targeting.matches(attributes) { return excluded(.excludedByTargeting) }
        guard let variant = BucketRange.chooseVariation(bucket(hashes), in: bucketRanges) else {
            return excluded(.excludedByCoverage)
        }
        return Assignment(
            experiment: key, inExperiment: true, variant: variant, value: variationTexts[variant], exclusion: nil
        )
    }

    private func excluded(_ exclusion: Assignment.Exclusion) -> Assignment {
        Assignment(experiment: key, inExperiment: false, variant: 0, value: variationTexts[0], exclusion: exclusion)
    }
}
