using Karma.Core.Data;
using Karma.Core.Evaluation;
using Karma.Search.Hybrid;
using Karma.Serving.Core.Indexing;
using Karma.Serving.Core.Inference;
using Karma.Serving.Core.Model;
using Karma.Serving.Core.Search;
using Microsoft.Extensions.Logging.Abstractions;

namespace Karma.Evaluation.Systems;

/// <summary>The ranked lists a model package produces for the examples, one per path through it.</summary>
/// <param name="Search">The Search call: hybrid recall of recall_k candidates, pre-ranked.</param>
/// <param name="SearchWithoutHistory">The same call with the history left out, as for a user without one (browse requests: empty).</param>
/// <param name="KarmaChannel">The embedding channel alone: nearest items to h_t.</param>
/// <param name="LexicalChannel">The BM25 channel alone (no popularity fill: empty for browse requests).</param>
/// <param name="CategoryChannel">The intent-category channel alone.</param>
/// <param name="Fused">The fused candidates in reciprocal-rank-fusion order, before the pre-ranker.</param>
/// <param name="CandidateRecall">Per example: 1 when the fused candidates held the target.</param>
/// <param name="PreRankGauc">gAUC of the pre-ranker over the examples' impressions (requests with a click and a non-click).</param>
/// <param name="GaucRequests">Requests counted in <paramref name="PreRankGauc"/>.</param>
/// <param name="Intent">Share of examples whose target's category is the likeliest of each intent reading (lexical, karma, combined).</param>
/// <param name="Explain">How often Explain's decoded words name the target's category (null: the package has no decoder).</param>
public sealed record PackageRankings(IReadOnlyList<int[]> Search, IReadOnlyList<int[]> SearchWithoutHistory, IReadOnlyList<int[]> KarmaChannel, IReadOnlyList<int[]> LexicalChannel,
    IReadOnlyList<int[]> CategoryChannel, IReadOnlyList<int[]> Fused, IReadOnlyList<double> CandidateRecall, double PreRankGauc, int GaucRequests,
    IntentAccuracy Intent, ExplainAccuracy? Explain);

/// <summary>
/// How often the words an interest decodes to (Explain's top <see cref="PackageRunner.ExplainWords"/>) contain the words of the
/// target's category path: its leaf (e.g. <c>sneakers</c>), its leaf or parent, any of its words.
/// </summary>
public sealed record ExplainAccuracy(double Leaf, double LeafOrParent, double AnyPathWord, int Requests);

/// <summary>How often each reading of a request's intent names the target's category first.</summary>
/// <param name="Lexical">The leaf holding most of the query's best BM25 mass (browse requests count as misses).</param>
/// <param name="Karma">The leaf whose centroid is nearest the interest embedding.</param>
/// <param name="Combined">The leaf of highest combined intent (what the category channel draws from first).</param>
public sealed record IntentAccuracy(double Lexical, double Karma, double Combined);

/// <summary>
/// Runs a model package over evaluation examples through the serving code itself (Karma.Serving.Core: the package
/// loader, the user tower's encoder, the exact vector index and <see cref="SearchPipeline"/>), so the figures are
/// those of the path a caller of Search gets. Items are matched to the evaluation data by id.
/// </summary>
public sealed class PackageRunner : IDisposable
{
    private const int EncodeBatch = 64;

    /// <summary>Decoded words Explain's accuracy is measured on (the service's default).</summary>
    public const int ExplainWords = 20;

    private readonly ModelPackage _package;
    private readonly ExactIndex _index;
    private readonly InterestEncoder _encoder;
    private readonly int[] _packageRowOfData;
    private readonly int[] _dataRowOfPackage;

    /// <summary>Loads the package for the log's catalog.</summary>
    /// <param name="packageDir">Model package.</param>
    /// <param name="log">Evaluation data (its item ids are looked up in the package's catalog).</param>
    /// <param name="quotas">Channel shares (null: the package's trained defaults).</param>
    public PackageRunner(string packageDir, SearchLog log, ChannelQuotas? quotas = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        _package = ModelPackage.Load(packageDir, InferenceDevice.Cpu, NullLogger.Instance);
        _index = new ExactIndex(_package.Embeddings);
        _encoder = new InterestEncoder(_package);
        Pipeline = new SearchPipeline(_package, _index, quotas ?? _package.DefaultQuotas);
        RecallK = _package.SearchDefaults.RecallK;
        _packageRowOfData = log.Items.Select(i => _package.Catalog.RowOf(i.ItemId)).ToArray();
        _dataRowOfPackage = Enumerable.Repeat(-1, _package.Catalog.Count).ToArray();
        for (int d = 0; d < _packageRowOfData.Length; d++)
        {
            if (_packageRowOfData[d] >= 0)
            {
                _dataRowOfPackage[_packageRowOfData[d]] = d;
            }
        }
    }

    /// <summary>The package's model version.</summary>
    public string ModelVersion => _package.Version;

    /// <summary>The package's max history length (the split is built with it).</summary>
    public int MaxHistory => _package.Manifest.Limits.MaxHistory;

    /// <summary>Search's recall budget (the one the pre-ranker was trained with).</summary>
    public int RecallK { get; }

    /// <summary>The Search path.</summary>
    public SearchPipeline Pipeline { get; }

    /// <summary>The loaded package.</summary>
    public ModelPackage Package => _package;

    /// <summary>The interest embedding of each example as the service computes it, in order; examples with nothing usable are left out.</summary>
    public List<float[]> Interests(IReadOnlyList<EvaluationExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var interests = new List<float[]>(examples.Count);
        for (int start = 0; start < examples.Count; start += EncodeBatch)
        {
            var prepared = examples.Skip(start).Take(EncodeBatch).Select(Prepare).OfType<PreparedContext>().ToList();
            interests.AddRange(_encoder.Run(prepared));
        }

        return interests;
    }

    /// <summary>Ranks every example along every path; <paramref name="depth"/> items per list.</summary>
    public PackageRankings Run(SearchLog log, IReadOnlyList<EvaluationExample> examples, int depth, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(examples);
        int n = examples.Count;
        var search = new int[n][];
        var withoutHistory = new int[n][];
        var karma = new int[n][];
        var lexical = new int[n][];
        var category = new int[n][];
        var fused = new int[n][];
        var recalled = new double[n];
        var gaucGroups = new List<(float[] Scores, bool[] Labels)>();
        double lexicalRight = 0, karmaRight = 0, combinedRight = 0;
        int explained = 0, leafHits = 0, parentHits = 0, pathHits = 0;
        int next = 1;
        for (int start = 0; start < n; start += EncodeBatch)
        {
            var batch = examples.Skip(start).Take(EncodeBatch).ToList();
            var prepared = batch.Select(Prepare).ToList();
            var queryOnly = batch.Select(e => string.IsNullOrWhiteSpace(e.Query) ? null : Prepare(e with { History = [] })).ToList();
            var queryOnlyValid = queryOnly.Select((p, i) => (p, i)).Where(x => x.p is not null).ToList();
            var queryOnlyInterests = _encoder.Run(queryOnlyValid.Select(x => x.p!).ToList());
            var queryOnlyOf = new float[batch.Count][];
            for (int v = 0; v < queryOnlyValid.Count; v++)
            {
                queryOnlyOf[queryOnlyValid[v].i] = queryOnlyInterests[v];
            }

            var valid = prepared.Select((p, i) => (p, i)).Where(x => x.p is not null).ToList();
            var interests = _encoder.Run(valid.Select(x => x.p!).ToList());
            var interestOf = new float[batch.Count][];
            for (int v = 0; v < valid.Count; v++)
            {
                interestOf[valid[v].i] = interests[v];
            }

            for (int i = 0; i < batch.Count; i++)
            {
                int e = start + i;
                var ex = batch[i];
                withoutHistory[e] = queryOnlyOf[i] is { } alone ? SearchAlone(alone, ex.Query, depth) : [];
                if (interestOf[i] is not { } interest)
                {
                    search[e] = karma[e] = lexical[e] = category[e] = fused[e] = [];
                    continue;
                }

                int[] history = prepared[i]!.Rows;
                using var matches = Pipeline.Match(ex.Query);
                var request = Pipeline.Context(interest, history, ex.Query, matches);
                var set = Pipeline.Recall(request, RecallK);
                int target = _packageRowOfData[ex.Target];
                recalled[e] = target >= 0 && set.IndexOf(target) >= 0 ? 1 : 0;
                if (target >= 0)
                {
                    int leaf = _package.Attributes.Leaf[target];
                    lexicalRight += request.QueryLeafShares.Count > 0 && request.QueryLeafShares.MaxBy(kv => kv.Value).Key == leaf ? 1 : 0;
                    karmaRight += ArgMax(request.KarmaLeaf) == leaf ? 1 : 0;
                    combinedRight += ArgMax(request.Intent) == leaf ? 1 : 0;
                    if (_package.Decoder is { } decoder)
                    {
                        var words = decoder.Decode(interest, _package.Manifest.Limits.MaxItemTokens, ExplainWords).Words.Select(w => w.Word)
                            .ToHashSet(StringComparer.Ordinal);
                        string[] path = _package.Catalog.Categories[target].Split('/');
                        explained++;
                        leafHits += words.Contains(path[^1]) ? 1 : 0;
                        parentHits += path.TakeLast(2).Any(words.Contains) ? 1 : 0;
                        pathHits += path.Any(words.Contains) ? 1 : 0;
                    }
                }
                search[e] = ToData(Pipeline.Rank(request, set, depth).Select(r => r.Row));
                karma[e] = ToData(Pipeline.KarmaChannel(interest, depth).Select(h => h.Row));
                lexical[e] = ToData(Pipeline.LexicalChannel(matches, depth).Select(h => h.Row));
                category[e] = ToData(Pipeline.CategoryChannel(request, depth).Select(h => h.Row));
                fused[e] = ToData(set.Rows.Take(depth));
                if (Impressions(log, ex) is { } shown)
                {
                    gaucGroups.Add((Pipeline.Score(request, shown.Rows), shown.Labels));
                }
            }

            if (progress is not null && (start + batch.Count) * 10L >= next * (long)n)
            {
                progress.Report($"{start + batch.Count:N0}/{n:N0} requests");
                next = (int)((start + batch.Count) * 10L / n) + 1;
            }
        }

        var (gauc, requests) = AucMetrics.GroupAuc(gaucGroups);
        return new PackageRankings(search, withoutHistory, karma, lexical, category, fused, recalled, gauc, requests,
            new IntentAccuracy(lexicalRight / n, karmaRight / n, combinedRight / n),
            explained == 0 ? null : new ExplainAccuracy(leafHits / (double)explained, parentHits / (double)explained, pathHits / (double)explained, explained));
    }

    /// <summary>The Search call for a query without history.</summary>
    private int[] SearchAlone(float[] interest, string? query, int depth)
    {
        using var matches = Pipeline.Match(query);
        var request = Pipeline.Context(interest, [], query, matches);
        return ToData(Pipeline.Rank(request, Pipeline.Recall(request, RecallK), depth).Select(r => r.Row));
    }

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            best = values[i] > values[best] ? i : best;
        }

        return best;
    }

    /// <summary>The history rows and query tokens of an example as the service reads them; null when nothing is usable.</summary>
    private PreparedContext? Prepare(EvaluationExample example)
    {
        try
        {
            return _encoder.Prepare(new UserContextInput(example.History.Select(h => IdOf(h)).ToList(), example.Query)).Context;
        }
        catch (InvalidContextException)
        {
            return null;
        }
    }

    private string IdOf(int dataRow) => _packageRowOfData[dataRow] >= 0 ? _package.Catalog.Ids[_packageRowOfData[dataRow]] : string.Empty;

    /// <summary>The request's impressions as package rows, with engaged labels; null unless it has both kinds.</summary>
    private (int[] Rows, bool[] Labels)? Impressions(SearchLog log, EvaluationExample example)
    {
        var request = log.Requests[example.Request];
        var rows = new List<int>(request.Impressed.Length);
        var labels = new List<bool>(request.Impressed.Length);
        foreach (int item in request.Impressed)
        {
            if (_packageRowOfData[item] >= 0)
            {
                rows.Add(_packageRowOfData[item]);
                labels.Add(Array.IndexOf(request.Engaged, item) >= 0);
            }
        }

        return labels.Contains(true) && labels.Contains(false) ? (rows.ToArray(), labels.ToArray()) : null;
    }

    private int[] ToData(IEnumerable<int> packageRows) => packageRows.Select(r => _dataRowOfPackage[r]).Where(d => d >= 0).ToArray();

    /// <inheritdoc />
    public void Dispose()
    {
        _index.Dispose();
        _package.Dispose();
    }
}
