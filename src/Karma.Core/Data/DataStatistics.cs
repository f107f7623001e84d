namespace Karma.Core.Data;

/// <summary>Summary numbers of a loaded data directory, for <c>karma data validate</c> and reports.</summary>
/// <param name="Items">Catalog items.</param>
/// <param name="Users">Users with at least one accepted event.</param>
/// <param name="Requests">Search requests (by request_id, or by user, timestamp and query).</param>
/// <param name="RequestsWithQuery">Requests whose query is not empty.</param>
/// <param name="EventsByAction">Accepted event rows per action (every action present, zero included).</param>
/// <param name="Events">Accepted event rows.</param>
/// <param name="EngagedEvents">Click, cart and purchase rows.</param>
/// <param name="UsersWithThreeEngagements">Users with at least three engagements (distinct items engaged per request, summed over requests).</param>
/// <param name="ItemsNeverEngaged">Catalog items no request engaged.</param>
/// <param name="ImageDim">Length of the image-feature vectors (0 when absent).</param>
/// <param name="Categories">Distinct category paths in the catalog.</param>
/// <param name="FirstTimestamp">Start of the earliest request, Unix seconds (0 when there are none).</param>
/// <param name="LastTimestamp">Start of the latest request, Unix seconds (0 when there are none).</param>
/// <param name="TrainExamples">Training examples of the temporal split.</param>
/// <param name="ValidationExamples">Validation examples (each user's second-to-last engagement).</param>
/// <param name="TestExamples">Test examples (each user's last engagement).</param>
/// <param name="ColdTestTargets">Test examples whose target never was a training target.</param>
/// <param name="BadItemRows">Item lines skipped as bad.</param>
/// <param name="BadEventRows">Event rows skipped as bad.</param>
public sealed record DataStatistics(
    int Items,
    int Users,
    int Requests,
    int RequestsWithQuery,
    IReadOnlyDictionary<UserAction, long> EventsByAction,
    long Events,
    long EngagedEvents,
    int UsersWithThreeEngagements,
    int ItemsNeverEngaged,
    int ImageDim,
    int Categories,
    long FirstTimestamp,
    long LastTimestamp,
    int TrainExamples,
    int ValidationExamples,
    int TestExamples,
    int ColdTestTargets,
    long BadItemRows,
    long BadEventRows)
{
    /// <summary>History length used for the split (it does not change the counts).</summary>
    public const int MaxHistory = 50;

    /// <summary>Time between the first and the last request.</summary>
    public TimeSpan Span => TimeSpan.FromSeconds(LastTimestamp - FirstTimestamp);

    /// <summary>Computes the statistics, including a <see cref="TemporalSplit"/> with history 50.</summary>
    public static DataStatistics Compute(SearchLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var split = TemporalSplit.Build(log, MaxHistory);
        var engagementsPerUser = new int[log.Users.Count];
        var engagedItems = new bool[log.Items.Count];
        int withQuery = 0;
        long first = long.MaxValue;
        long last = long.MinValue;
        foreach (var r in log.Requests)
        {
            if (!string.IsNullOrWhiteSpace(r.Query))
            {
                withQuery++;
            }

            engagementsPerUser[r.User] += r.Engaged.Length;
            foreach (int i in r.Engaged)
            {
                engagedItems[i] = true;
            }

            first = Math.Min(first, r.Timestamp);
            last = Math.Max(last, r.Timestamp);
        }

        var byAction = Enum.GetValues<UserAction>()
            .ToDictionary(a => a, a => log.ActionCounts.TryGetValue(a, out long c) ? c : 0L);
        return new DataStatistics(
            Items: log.Items.Count,
            Users: log.Users.Count,
            Requests: log.Requests.Count,
            RequestsWithQuery: withQuery,
            EventsByAction: byAction,
            Events: log.EventCount,
            EngagedEvents: byAction.Where(p => p.Key != UserAction.Impression).Sum(p => p.Value),
            UsersWithThreeEngagements: engagementsPerUser.Count(n => n >= 3),
            ItemsNeverEngaged: engagedItems.Count(e => !e),
            ImageDim: log.ImageDim,
            Categories: log.Items.Select(i => i.Category).Distinct(StringComparer.Ordinal).Count(),
            FirstTimestamp: log.Requests.Count == 0 ? 0 : first,
            LastTimestamp: log.Requests.Count == 0 ? 0 : last,
            TrainExamples: split.Train.Count,
            ValidationExamples: split.Validation.Count,
            TestExamples: split.Test.Count,
            ColdTestTargets: split.Test.Count(e => split.IsCold(e.Target)),
            BadItemRows: log.ItemErrors.Count,
            BadEventRows: log.EventErrors.Count);
    }
}
