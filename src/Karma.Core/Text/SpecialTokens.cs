namespace Karma.Core.Text;

/// <summary>
/// Special tokens. They have fixed ids 0..7 in every <see cref="BpeTokenizer"/> vocabulary, in this
/// order, and normalized text can never produce them (brackets are always words of their own).
/// </summary>
public static class SpecialTokens
{
    /// <summary><c>[PAD]</c>: padding.</summary>
    public const int Pad = 0;

    /// <summary><c>[UNK]</c>: one character outside the tokenizer's alphabet.</summary>
    public const int Unk = 1;

    /// <summary><c>[BOS]</c>: beginning of sequence.</summary>
    public const int Bos = 2;

    /// <summary><c>[EOS]</c>: end of sequence.</summary>
    public const int Eos = 3;

    /// <summary><c>[SEP]</c>: separator between segments.</summary>
    public const int Sep = 4;

    /// <summary><c>[INT]</c>: interest slot.</summary>
    public const int Interest = 5;

    /// <summary><c>[ITEM]</c>: slot for a continuous history-item embedding.</summary>
    public const int Item = 6;

    /// <summary><c>[REC]</c>: reconstruction prefix.</summary>
    public const int Reconstruction = 7;

    /// <summary>How many special tokens there are; the first ordinary token has this id.</summary>
    public const int Count = 8;

    /// <summary>The special tokens' texts, indexed by id.</summary>
    public static IReadOnlyList<string> Texts { get; } =
        ["[PAD]", "[UNK]", "[BOS]", "[EOS]", "[SEP]", "[INT]", "[ITEM]", "[REC]"];
}
