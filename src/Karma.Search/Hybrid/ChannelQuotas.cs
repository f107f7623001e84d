namespace Karma.Search.Hybrid;

/// <summary>
/// How a recall budget of k candidates is shared between the channels: each channel contributes its best
/// ⌈share · k⌉ items, and the union (duplicates merged) is what the pre-ranker scores. Shares need not add up to 1:
/// channels overlap, so shares summing above 1 keep the fused set close to k. A share of 0 switches a channel off.
/// </summary>
/// <param name="Karma">Share of the KARMA embedding channel, in [0, 1].</param>
/// <param name="Lexical">Share of the BM25 channel, in [0, 1].</param>
/// <param name="Category">Share of the intent-category channel, in [0, 1].</param>
public sealed record ChannelQuotas(double Karma, double Lexical, double Category = 0)
{
    /// <summary>Candidates the embedding channel contributes for a budget of <paramref name="k"/>.</summary>
    public int KarmaCount(int k) => Count(Karma, k);

    /// <summary>Candidates the lexical channel contributes for a budget of <paramref name="k"/>.</summary>
    public int LexicalCount(int k) => Count(Lexical, k);

    /// <summary>Candidates the category channel contributes for a budget of <paramref name="k"/>.</summary>
    public int CategoryCount(int k) => Count(Category, k);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the share that is out of [0, 1], or when all are 0.</summary>
    public void Validate()
    {
        foreach (var (value, name) in new[] { (Karma, nameof(Karma)), (Lexical, nameof(Lexical)), (Category, nameof(Category)) })
        {
            if (!(value is >= 0 and <= 1))
            {
                throw new ArgumentOutOfRangeException(name, value, $"the {name.ToLowerInvariant()} channel's share must be in [0, 1]");
            }
        }

        if (Karma == 0 && Lexical == 0 && Category == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Karma), "at least one channel needs a share above 0");
        }
    }

    private static int Count(double share, int k) => share <= 0 ? 0 : Math.Max(1, (int)Math.Ceiling(share * k));
}
