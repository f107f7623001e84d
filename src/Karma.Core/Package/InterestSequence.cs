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
    {
        int length = Length(historyCount, queryTokens.Length);
        if (ids.Length < length)
        {
            throw new ArgumentException($"destination holds {ids.Length} ids, the sequence needs {length}", nameof(ids));
        }

        int p = 0;
        ids[p++] = SpecialTokens.Bos;
        for (int i = 0; i < historyCount; i++)
        {
            ids[p++] = SpecialTokens.Item;
        }

        ids[p++] = SpecialTokens.Sep;
        foreach (int t in queryTokens)
        {
            ids[p++] = t;
        }

        ids[p] = SpecialTokens.Interest;
        return p;
    }

    /// <summary>Position of the first history slot.</summary>
    public const int FirstHistoryPosition = 1;
}
