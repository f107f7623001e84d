using Karma.Core.Data;

namespace Karma.Evaluation;

/// <summary>
/// One held-out engagement as every system sees it: the user's earlier engagements (item ids, most recent last, at
/// most the model's history length), the request's query, and the engaged item to find.
/// </summary>
/// <param name="User">User index in the log.</param>
/// <param name="Request">Request index in the log (its impressions give gAUC).</param>
/// <param name="History">Rows of the history items, most recent last.</param>
/// <param name="Query">The request's query, or null for browse.</param>
/// <param name="Target">Row of the engaged item.</param>
/// <param name="OutOfInterest">No history item shares the target's category: the query asks for something new to the user.</param>
/// <param name="Cold">The target had no engagement in the training period.</param>
public sealed record EvaluationExample(int User, int Request, int[] History, string? Query, int Target, bool OutOfInterest, bool Cold)
{
    /// <summary>The examples of a split's held-out requests, with their flags.</summary>
    public static IReadOnlyList<EvaluationExample> From(SearchLog log, TemporalSplit split, IReadOnlyList<InteractionExample> examples)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(examples);
        return examples.Select(e =>
        {
            string category = log.Items[e.Target].Category;
            bool outOfInterest = !e.History.Any(h => string.Equals(log.Items[h].Category, category, StringComparison.Ordinal));
            return new EvaluationExample(e.User, e.Request, e.History, e.Query, e.Target, outOfInterest, split.IsCold(e.Target));
        }).ToList();
    }
}
