namespace Karma.Core.Text;

/// <summary>Settings for <see cref="BpeTokenizer.Train(IEnumerable{string}, BpeTrainingOptions)"/>.</summary>
public sealed record BpeTrainingOptions
{
    /// <summary>
    /// Largest vocabulary, special tokens included. Training stops earlier when no pair of symbols
    /// occurs <see cref="MinFrequency"/> times any more. At least <see cref="SpecialTokens.Count"/> + 1.
    /// </summary>
    public int VocabSize { get; init; } = 2000;

    /// <summary>
    /// A character enters the alphabet, and a pair of symbols is merged, only if it occurs at least
    /// this often in the training text. At least 1.
    /// </summary>
    public int MinFrequency { get; init; } = 2;

    internal void Validate()
    {
        if (VocabSize < SpecialTokens.Count + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(VocabSize), VocabSize,
                $"vocabulary size must be at least {SpecialTokens.Count + 1} (the special tokens and the end-of-word token)");
        }

        if (MinFrequency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MinFrequency), MinFrequency, "minimum frequency must be at least 1");
        }
    }
}
