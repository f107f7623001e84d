namespace Karma.Evaluation.Systems;

/// <summary>A way of ranking the catalog for a request: a baseline, a recall channel, or the whole Search path.</summary>
public interface IRankingSystem
{
    /// <summary>Short name used in tables and files.</summary>
    string Name { get; }

    /// <summary>One line saying what it does.</summary>
    string Description { get; }

    /// <summary>The best <paramref name="depth"/> items (rows of the evaluation data's catalog) for each example, best first.</summary>
    IReadOnlyList<int[]> RankAll(IReadOnlyList<EvaluationExample> examples, int depth, IProgress<string>? progress = null);
}
