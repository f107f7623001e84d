namespace Karma.Search.Hybrid;

/// <summary>
/// The fused candidates of one request: distinct item rows, each with the channels that recalled it, in
/// reciprocal-rank-fusion order (the order Recall returns for the hybrid channel; Search re-orders by the pre-ranker).
/// </summary>
public sealed class CandidateSet
{
    internal CandidateSet(int[] rows, RecallChannels[] channels, float[] fusedScores)
    {
        Rows = rows;
        Channels = channels;
        FusedScores = fusedScores;
    }

    /// <summary>An empty set.</summary>
    public static CandidateSet Empty { get; } = new([], [], []);

    /// <summary>Number of candidates.</summary>
    public int Count => Rows.Length;

    /// <summary>Item rows, best fused first. Do not modify.</summary>
    public int[] Rows { get; }

    /// <summary>The channels that recalled each candidate. Do not modify.</summary>
    public RecallChannels[] Channels { get; }

    /// <summary>Reciprocal-rank-fusion score of each candidate: Σ over its channels of 1 / (60 + rank). Do not modify.</summary>
    public float[] FusedScores { get; }

    /// <summary>Position of <paramref name="row"/> in the set, or -1.</summary>
    public int IndexOf(int row) => Array.IndexOf(Rows, row);
}
