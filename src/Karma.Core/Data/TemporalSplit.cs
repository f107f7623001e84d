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
/// Leave-last-out split per user in time order (docs/model.md, "Evaluation"), by request: the last engagement of the
/// user's last engaged request is the test example, the last engagement of the request before it validation,
/// and the engagements of all earlier requests are training. Other engagements of the two held-out requests
/// are left out, so no training example shares their history and query. Users with two engaged requests give
/// training and test examples; users with one give training examples only.
/// </summary>
public sealed class TemporalSplit
{
    private TemporalSplit(List<InteractionExample> train, List<InteractionExample> validation,
        List<InteractionExample> test, int[] trainClicks, bool[] trainingPeriod)
    {
        Train = train;
        Validation = validation;
        Test = test;
        TrainClicks = trainClicks;
        _trainingPeriod = trainingPeriod;
    }

    private readonly bool[] _trainingPeriod;

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

    /// <summary>
    /// True when request <paramref name="request"/> (an index into <see cref="SearchLog.Requests"/>) happened before its
    /// user's first held-out request: what a model trained at that time could have seen. Tokenizers and language-model
    /// corpora are built from these requests only, so test-period queries and new items stay unseen.
    /// </summary>
    public bool InTrainingPeriod(int request) => _trainingPeriod[request];

    /// <summary>The queries of the training-period requests, in log order (repeats kept: their frequency is real).</summary>
    public IEnumerable<string> TrainingQueries(SearchLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        for (int r = 0; r < log.Requests.Count; r++)
        {
            if (_trainingPeriod[r] && !string.IsNullOrWhiteSpace(log.Requests[r].Query))
            {
                yield return log.Requests[r].Query!;
            }
        }
    }

    /// <summary>
    /// How often each item was shown in training-period requests: the exposure the logging ranker gave it, an estimate
    /// of its popularity that, unlike engagements, also covers items nobody clicked yet.
    /// </summary>
    public int[] TrainingImpressions(SearchLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var counts = new int[log.Items.Count];
        for (int r = 0; r < log.Requests.Count; r++)
        {
            if (_trainingPeriod[r])
            {
                foreach (int item in log.Requests[r].Impressed)
                {
                    counts[item]++;
                }
            }
        }

        return counts;
    }

    /// <summary>Items shown in at least one training-period request (items that arrived later are not).</summary>
    public bool[] TrainingPeriodItems(SearchLog log) => TrainingImpressions(log).Select(c => c > 0).ToArray();

    /// <summary>Builds the split. Histories keep at most <paramref name="maxHistory"/> most recent engagements.</summary>
    public static TemporalSplit Build(SearchLog log, int maxHistory)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentOutOfRangeException.ThrowIfNegative(maxHistory);
        var train = new List<InteractionExample>();
        var validation = new List<InteractionExample>();
        var test = new List<InteractionExample>();
        var trainClicks = new int[log.Items.Count];
        var trainingPeriod = new bool[log.Requests.Count];
        var perUser = new List<InteractionExample>();
        var history = new List<int>();
        int r = 0;
        var requests = log.Requests;
        while (r < requests.Count)
        {
            int user = requests[r].User;
            int userStart = r;
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

            // perUser is in request order; find where the last two engaged requests start.
            int n = perUser.Count;
            int lastStart = n, previousStart = n;
            if (n > 0)
            {
                lastStart = n - 1;
                while (lastStart > 0 && perUser[lastStart - 1].Request == perUser[n - 1].Request)
                {
                    lastStart--;
                }

                previousStart = lastStart;
                if (lastStart > 0)
                {
                    previousStart = lastStart - 1;
                    while (previousStart > 0 && perUser[previousStart - 1].Request == perUser[lastStart - 1].Request)
                    {
                        previousStart--;
                    }
                }
            }

            int engagedRequests = n == 0 ? 0 : lastStart == 0 ? 1 : previousStart == 0 ? 2 : 3;
            int trainEnd = engagedRequests switch { 0 => 0, 1 => n, 2 => lastStart, _ => previousStart };
            for (int i = 0; i < trainEnd; i++)
            {
                train.Add(perUser[i]);
                trainClicks[perUser[i].Target]++;
            }

            if (engagedRequests >= 3)
            {
                validation.Add(perUser[lastStart - 1]);
            }

            if (engagedRequests >= 2)
            {
                test.Add(perUser[n - 1]);
            }

            // The training period ends at the user's first held-out request (requests are in time order per user).
            int firstHeldOut = engagedRequests switch { 0 or 1 => r, 2 => perUser[lastStart].Request, _ => perUser[previousStart].Request };
            for (int q = userStart; q < firstHeldOut; q++)
            {
                trainingPeriod[q] = true;
            }
        }

        return new TemporalSplit(train, validation, test, trainClicks, trainingPeriod);
    }
}
