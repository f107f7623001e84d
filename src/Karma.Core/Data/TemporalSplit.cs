namespace Karma.Core.Data;

/// <summary>
/// One engagement to predict: the user's earlier engagements (most recent last), the request's query, the
/// engaged item, and the request's shown-but-not-engaged items (hard negatives).
/// </summary>
public sealed record InteractionExample(
    int User,
    int Request,
    int[] History,
    string? Query,
    int Target,
    int[] HardNegatives,
    long Timestamp);

/// <summary>
/// Leave-last-out split per user in time order (DESIGN.md section 2): a user's last engagement is the test
/// example, the one before it validation, the rest training. Users with two engagements give one training
/// and one test example; users with one give a training example only.
/// </summary>
public sealed class TemporalSplit
{
    private TemporalSplit(List<InteractionExample> train, List<InteractionExample> validation,
        List<InteractionExample> test, int[] trainClicks)
    {
        Train = train;
        Validation = validation;
        Test = test;
        TrainClicks = trainClicks;
    }

    /// <summary>Training examples in user, then time order.</summary>
    public IReadOnlyList<InteractionExample> Train { get; }

    /// <summary>Each user's second-to-last engagement.</summary>
    public IReadOnlyList<InteractionExample> Validation { get; }

    /// <summary>Each user's last engagement.</summary>
    public IReadOnlyList<InteractionExample> Test { get; }

    /// <summary>Engagements per item among training targets: 0 means the item is cold.</summary>
    public IReadOnlyList<int> TrainClicks { get; }

    /// <summary>True when the item was never a training target.</summary>
    public bool IsCold(int item) => TrainClicks[item] == 0;

    /// <summary>Builds the split. Histories keep at most <paramref name="maxHistory"/> most recent engagements.</summary>
    public static TemporalSplit Build(SearchLog log, int maxHistory)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentOutOfRangeException.ThrowIfNegative(maxHistory);
        var train = new List<InteractionExample>();
        var validation = new List<InteractionExample>();
        var test = new List<InteractionExample>();
        var trainClicks = new int[log.Items.Count];
        var perUser = new List<InteractionExample>();
        var history = new List<int>();
        int r = 0;
        var requests = log.Requests;
        while (r < requests.Count)
        {
            int user = requests[r].User;
            perUser.Clear();
            history.Clear();
            for (; r < requests.Count && requests[r].User == user; r++)
            {
                var req = requests[r];
                if (req.Engaged.Length == 0)
                {
                    continue;
                }

                int start = Math.Max(0, history.Count - maxHistory);
                int[] hist = history.GetRange(start, history.Count - start).ToArray();
                int[] negatives = req.Impressed.Where(i => Array.IndexOf(req.Engaged, i) < 0).ToArray();
                foreach (int target in req.Engaged)
                {
                    if (hist.Length == 0 && string.IsNullOrWhiteSpace(req.Query))
                    {
                        continue; // nothing to condition on
                    }

                    perUser.Add(new InteractionExample(user, r, hist, req.Query, target, negatives, req.Timestamp));
                }

                history.AddRange(req.Engaged);
            }

            int n = perUser.Count;
            int trainEnd = n >= 3 ? n - 2 : n == 2 ? 1 : n;
            for (int i = 0; i < n; i++)
            {
                var ex = perUser[i];
                if (i < trainEnd)
                {
                    train.Add(ex);
                    trainClicks[ex.Target]++;
                }
                else if (n >= 3 && i == n - 2)
                {
                    validation.Add(ex);
                }
                else
                {
                    test.Add(ex);
                }
            }
        }

        return new TemporalSplit(train, validation, test, trainClicks);
    }
}
