using Karma.Core.Data;
using Karma.Core.Data.Synthetic;

namespace Karma.Core.Tests.Data;

/// <summary>One request as written to events.csv, in file order (impression rows = positions, top first).</summary>
public sealed record LoggedRequest(string RequestId, string UserId, long Time, string? Query, List<string> Shown, List<SearchEvent> Engagements)
{
    /// <summary>Time of the request's last event.</summary>
    public long LastEventTime => Engagements.Count == 0 ? Time : Math.Max(Time, Engagements.Max(e => e.Timestamp));
}

/// <summary>
/// A realistic-tiny data set with more users (2,000) so that shares are measured tightly, shared by the
/// realistic tests: the files, the simulator's per-request traces, the latent catalog and the period.
/// </summary>
public sealed class RealisticSyntheticData : IDisposable
{
    public const int Seed = 5;

    public RealisticSyntheticData()
    {
        var traces = new Dictionary<string, RequestTrace>(StringComparer.Ordinal);
        Summary = SyntheticLogGenerator.Generate(Preset, Seed, Dir, null, t => traces.Add(t.RequestId, t));
        Traces = traces;
        Catalog = SyntheticLogGenerator.BuildCatalog(Preset, Seed);
        ItemIndex = Enumerable.Range(0, Catalog.Count).ToDictionary(i => Catalog.Ids[i], StringComparer.Ordinal);
        Log = SearchLog.Load(Dir, BadRowPolicy.Fail);
        var byId = new Dictionary<string, LoggedRequest>(StringComparer.Ordinal);
        var ordered = new List<LoggedRequest>();
        foreach (var e in EventsCsv.Read(Path.Combine(Dir, EventsCsv.FileName), BadRowPolicy.Fail, new BadRowReport(), null))
        {
            if (!byId.TryGetValue(e.RequestId!, out var r))
            {
                r = new LoggedRequest(e.RequestId!, e.UserId, e.Timestamp, e.Query, [], []);
                byId.Add(e.RequestId!, r);
                ordered.Add(r);
            }

            if (e.Action == UserAction.Impression)
            {
                r.Shown.Add(e.ItemId);
            }
            else
            {
                r.Engagements.Add(e);
            }
        }

        ByUser = ordered.GroupBy(r => r.UserId, StringComparer.Ordinal).Select(g => (IReadOnlyList<LoggedRequest>)g.ToList()).ToList();
    }

    /// <summary>realistic-tiny with 2,000 users.</summary>
    public static SyntheticPreset Preset { get; } = SyntheticPreset.Get("realistic-tiny") with { Users = 2_000 };

    internal static SimulationPeriod Period => SimulationPeriod.For(Preset);

    public string Dir { get; } = Directory.CreateTempSubdirectory("karma-realistic-").FullName;

    public SyntheticSummary Summary { get; }

    /// <summary>What the simulator knew about each request, by request id.</summary>
    internal IReadOnlyDictionary<string, RequestTrace> Traces { get; }

    internal Catalog Catalog { get; }

    public IReadOnlyDictionary<string, int> ItemIndex { get; }

    public SearchLog Log { get; }

    /// <summary>Each user's requests in file order (which is time order).</summary>
    public IReadOnlyList<IReadOnlyList<LoggedRequest>> ByUser { get; }

    public IEnumerable<LoggedRequest> Requests => ByUser.SelectMany(u => u);

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
