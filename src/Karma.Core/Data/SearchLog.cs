namespace Karma.Core.Data;

/// <summary>One search request: who asked what, what was shown and what was engaged with.</summary>
/// <param name="User">Index into <see cref="SearchLog.Users"/>.</param>
/// <param name="Timestamp">Unix seconds of the request's first event.</param>
/// <param name="Query">Query text, or null for a browse request.</param>
/// <param name="Impressed">Items shown (engaged items included), as catalog indices, in file order.</param>
/// <param name="Engaged">Items clicked, carted or bought, as catalog indices, in file order, distinct.</param>
public sealed record SearchRequest(int User, long Timestamp, string? Query, int[] Impressed, int[] Engaged);

/// <summary>A catalog plus its search log, as read from a data directory.</summary>
public sealed class SearchLog
{
    private SearchLog(List<Item> items, List<string> users, List<SearchRequest> requests, long eventCount,
        Dictionary<UserAction, long> actionCounts, BadRowReport itemErrors, BadRowReport eventErrors)
    {
        Items = items;
        Users = users;
        Requests = requests;
        EventCount = eventCount;
        ActionCounts = actionCounts;
        ItemErrors = itemErrors;
        EventErrors = eventErrors;
        var index = new Dictionary<string, int>(items.Count, StringComparer.Ordinal);
        for (int i = 0; i < items.Count; i++)
        {
            index[items[i].ItemId] = i;
        }

        ItemIndex = index;

        ImageDim = items.FirstOrDefault(i => i.ImageEmbedding is not null)?.ImageEmbedding!.Length ?? 0;
    }

    /// <summary>Catalog items; their position is the item index used everywhere else.</summary>
    public IReadOnlyList<Item> Items { get; }

    /// <summary>External item id to index.</summary>
    public IReadOnlyDictionary<string, int> ItemIndex { get; }

    /// <summary>External user ids; their position is the user index.</summary>
    public IReadOnlyList<string> Users { get; }

    /// <summary>Requests ordered by user, then time, then first appearance in the file.</summary>
    public IReadOnlyList<SearchRequest> Requests { get; }

    /// <summary>Number of accepted event rows.</summary>
    public long EventCount { get; }

    /// <summary>Accepted event rows per action.</summary>
    public IReadOnlyDictionary<UserAction, long> ActionCounts { get; }

    /// <summary>Length of the image-feature vectors, or 0 when no item has one.</summary>
    public int ImageDim { get; }

    /// <summary>Item rows skipped under <see cref="BadRowPolicy.Skip"/>.</summary>
    public BadRowReport ItemErrors { get; }

    /// <summary>Event rows skipped under <see cref="BadRowPolicy.Skip"/>.</summary>
    public BadRowReport EventErrors { get; }

    /// <summary>
    /// Reads <c>items.jsonl</c> and <c>events.csv</c> from <paramref name="directory"/>. Events naming an
    /// item that is not in the catalog are bad rows. Events are grouped into requests by
    /// <c>request_id</c>, or by (user, timestamp, query) when it is empty.
    /// </summary>
    public static SearchLog Load(string directory, BadRowPolicy policy = BadRowPolicy.Fail)
    {
        if (!Directory.Exists(directory))
        {
            throw new DataFormatException(directory, "data directory not found");
        }

        var itemErrors = new BadRowReport();
        var items = ItemsJsonl.Read(Path.Combine(directory, ItemsJsonl.FileName), policy, itemErrors);
        if (items.Count == 0)
        {
            throw new DataFormatException(Path.Combine(directory, ItemsJsonl.FileName), "no valid items");
        }

        var ids = new HashSet<string>(items.Select(i => i.ItemId), StringComparer.Ordinal);
        var itemIndex = new Dictionary<string, int>(items.Count, StringComparer.Ordinal);
        for (int i = 0; i < items.Count; i++)
        {
            itemIndex[items[i].ItemId] = i;
        }

        var eventErrors = new BadRowReport();
        var userIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var users = new List<string>();
        var builders = new Dictionary<(int User, string Key), RequestBuilder>();
        var order = new List<RequestBuilder>();
        var actionCounts = Enum.GetValues<UserAction>().ToDictionary(a => a, _ => 0L);
        long eventCount = 0;
        foreach (var ev in EventsCsv.Read(Path.Combine(directory, EventsCsv.FileName), policy, eventErrors, ids))
        {
            eventCount++;
            actionCounts[ev.Action]++;
            if (!userIndex.TryGetValue(ev.UserId, out int u))
            {
                u = users.Count;
                userIndex[ev.UserId] = u;
                users.Add(ev.UserId);
            }

            string key = ev.RequestId ?? $"\u0001{ev.Timestamp}\u0001{ev.Query}";
            if (!builders.TryGetValue((u, key), out var b))
            {
                b = new RequestBuilder(u, ev.Timestamp, ev.Query, order.Count);
                builders[(u, key)] = b;
                order.Add(b);
            }

            b.Add(itemIndex[ev.ItemId], ev);
        }

        var requests = order
            .OrderBy(b => b.User).ThenBy(b => b.Timestamp).ThenBy(b => b.Sequence)
            .Select(b => b.Build())
            .ToList();
        return new SearchLog(items, users, requests, eventCount, actionCounts, itemErrors, eventErrors);
    }

    private sealed class RequestBuilder(int user, long timestamp, string? query, int sequence)
    {
        private readonly List<int> _impressed = [];
        private readonly List<int> _engaged = [];
        private readonly HashSet<int> _seenImpressed = [];
        private readonly HashSet<int> _seenEngaged = [];

        public int User { get; } = user;

        public long Timestamp { get; private set; } = timestamp;

        public int Sequence { get; } = sequence;

        public string? Query { get; private set; } = query;

        public void Add(int item, SearchEvent ev)
        {
            Timestamp = Math.Min(Timestamp, ev.Timestamp);
            Query ??= ev.Query;
            if (_seenImpressed.Add(item))
            {
                _impressed.Add(item);
            }

            if (ev.IsEngagement && _seenEngaged.Add(item))
            {
                _engaged.Add(item);
            }
        }

        public SearchRequest Build() => new(User, Timestamp, Query, [.. _impressed], [.. _engaged]);
    }
}
