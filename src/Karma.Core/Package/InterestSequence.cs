using Karma.Core.Text;

namespace Karma.Core.Package;

/// <summary>
/// The user tower's input layout, shared by the trainer, the exporter and the service:
/// <c>[BOS] [ITEM]×history [SEP] query… [INT]</c>. History slots are positions 1..h (most recent last); the
/// caller puts each history item's token there. The interest embedding is read at the last position.
/// </summary>
public static class InterestSequence
{
    /// <summary>Length of a sequence with <paramref name="historyCount"/> items and <paramref name="queryTokens"/> tokens.</summary>
    public static int Length(int historyCount, int queryTokens) => historyCount + queryTokens + 3;

    /// <summary>
    /// Writes the token ids of one sequence into <paramref name="ids"/> (which must hold <see cref="Length"/>
    /// entries) and returns the position of [INT].
    /// </summary>
    public static int Layout(int historyCount, ReadOnlySpan<int> queryTokens, Span<long> ids)
        => Layout(historyCount, queryTokens, ids, SequenceTokens.Default);

    /// <summary>As <see cref="Layout(int, ReadOnlySpan{int}, Span{long})"/> with the package's own ids of the layout's tokens.</summary>
    public static int Layout(int historyCount, ReadOnlySpan<int> queryTokens, Span<long> ids, SequenceTokens tokens)
    {
        int length = Length(historyCount, queryTokens.Length);
        if (ids.Length < length)
        {
            throw new ArgumentException($"destination holds {ids.Length} ids, the sequence needs {length}", nameof(ids));
        }

        int p = 0;
        ids[p++] = tokens.Bos;
        for (int i = 0; i < historyCount; i++)
        {
            ids[p++] = tokens.Item;
        }

        ids[p++] = tokens.Sep;
        foreach (int t in queryTokens)
        {
            ids[p++] = t;
        }

        ids[p] = tokens.Interest;
        return p;
    }

    /// <summary>Position of the first history slot.</summary>
    public const int FirstHistoryPosition = 1;
}

/// <summary>
/// The ids of the four tokens of the user tower's layout. Our tokenizer has them at fixed ids
/// (<see cref="Default"/>); a package imported with another vocabulary names them in the manifest's
/// <c>special_tokens</c> under the same keys.
/// </summary>
public readonly record struct SequenceTokens(int Bos, int Item, int Sep, int Interest)
{
    /// <summary>The manifest keys, in the order of the record's fields.</summary>
    public static IReadOnlyList<string> Keys { get; } = ["[BOS]", "[ITEM]", "[SEP]", "[INT]"];

    /// <summary>The ids of <see cref="SpecialTokens"/>.</summary>
    public static SequenceTokens Default { get; } = new(SpecialTokens.Bos, SpecialTokens.Item, SpecialTokens.Sep, SpecialTokens.Interest);

    /// <summary>The layout's ids from a manifest's <c>special_tokens</c>; null with the problem when one is missing or outside the vocabulary.</summary>
    public static SequenceTokens? From(IReadOnlyDictionary<string, int>? specialTokens, int vocabSize, out string? problem)
    {
        problem = null;
        var ids = new int[Keys.Count];
        for (int i = 0; i < Keys.Count; i++)
        {
            if (specialTokens is null || !specialTokens.TryGetValue(Keys[i], out ids[i]) || ids[i] < 0 || ids[i] >= vocabSize)
            {
                problem = $"manifest: special_tokens needs {string.Join(", ", Keys)} with ids below the vocabulary size {vocabSize}; " +
                    $"{Keys[i]} is {(specialTokens is not null && specialTokens.TryGetValue(Keys[i], out int id) ? id.ToString(System.Globalization.CultureInfo.InvariantCulture) : "missing")}";
                return null;
            }
        }

        return new SequenceTokens(ids[0], ids[1], ids[2], ids[3]);
    }
}
