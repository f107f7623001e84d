using Karma.Core.Data;
using Karma.Evaluation.Systems;

namespace Karma.Evaluation.Tests;

/// <summary>The baselines on a six-item catalog whose rankings are known.</summary>
public sealed class BaselineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-baselines-").FullName;
    private readonly SearchLog _log;
    private readonly CatalogStatistics _stats;

    public BaselineTests()
    {
        // Rows: 0 red lamp, 1 blue lamp, 2 red mug, 3 green mug, 4 red shoe, 5 black shoe.
        string[] lines =
        [
            """{"item_id":"i0","title":"red lamp","category":"home/lamp"}""",
            """{"item_id":"i1","title":"blue lamp","category":"home/lamp"}""",
            """{"item_id":"i2","title":"red mug","category":"kitchen/mug"}""",
            """{"item_id":"i3","title":"green mug","category":"kitchen/mug"}""",
            """{"item_id":"i4","title":"red shoe","category":"footwear/shoe"}""",
            """{"item_id":"i5","title":"black shoe","category":"footwear/shoe"}""",
        ];
        File.WriteAllText(Path.Combine(_dir, "items.jsonl"), string.Join('\n', lines) + "\n");
        // Training clicks: i2 three times, i4 twice, i0 once; each user's last two requests are held out.
        File.WriteAllText(Path.Combine(_dir, "events.csv"), """
            user_id,item_id,timestamp,action,query,request_id
            a,i2,1,click,mug,r1
            a,i2,2,click,mug,r2
            a,i4,3,click,shoe,r3
            a,i5,4,click,shoe,r4
            a,i3,5,click,mug,r5
            b,i2,1,click,mug,r6
            b,i4,2,click,shoe,r7
            b,i0,3,click,lamp,r8
            b,i1,4,click,lamp,r9
            b,i5,5,click,shoe,r10
            """.Replace("    ", "", StringComparison.Ordinal));
        _log = SearchLog.Load(_dir);
        _stats = new CatalogStatistics(_log, TemporalSplit.Build(_log, 10));
    }

    public void Dispose()
    {
        _stats.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static EvaluationExample Example(string? query, int target, params int[] history) => new(0, 0, history, query, target, false, false);

    [Fact]
    public void Popularity_RanksByTrainingEngagements_ThenRow()
        => Assert.Equal([2, 4, 0, 1, 3, 5], new PopularityBaseline(_stats).RankAll([Example(null, 0)], 6)[0]);

    [Fact]
    public void Bm25_RanksQueryMatchesFirst_BreaksTiesByPopularity_FillsByPopularity()
    {
        // "red" matches rows 0, 2 and 4 with equal BM25 (same length): popularity orders them, the rest follows by popularity.
        Assert.Equal([2, 4, 0, 1, 3, 5], new Bm25Baseline(_stats).RankAll([Example("red", 0)], 6)[0]);
        // "red lamp": row 0 matches both words, row 1 only "lamp", rows 2 and 4 only "red" (and "lamp" is rarer than "red").
        int[] ranked = new Bm25Baseline(_stats).RankAll([Example("red lamp", 0)], 6)[0];
        Assert.Equal([0, 1, 2, 4], ranked[..4]);
        Assert.Equal([2, 4, 0, 1, 3, 5], new Bm25Baseline(_stats).RankAll([Example(null, 0)], 6)[0]);
    }

    [Fact]
    public void Bm25History_BoostsTheHistoryCategories()
    {
        // History in kitchen/mug twice: with a large weight both mugs outrank the query's only match.
        var strong = new Bm25HistoryBaseline(_stats, weight: 8).RankAll([Example("black", 0, 2, 3)], 3)[0];
        Assert.Equal([2, 3, 5], strong);
        // With a tiny weight the BM25 match comes first, then the boosted mugs by popularity.
        var weak = new Bm25HistoryBaseline(_stats, weight: 0.01).RankAll([Example("black", 0, 2, 3)], 3)[0];
        Assert.Equal([5, 2, 3], weak);
    }

    [Fact]
    public void Bm25History_Tune_PicksTheWeightWithTheBestValidationHitRate()
    {
        double w = Bm25HistoryBaseline.Tune(_stats, [Example("black", 3, 2, 3)]);
        Assert.Contains(w, Bm25HistoryBaseline.Grid);
        Assert.Equal(1.0, Bm25HistoryBaseline.Tune(_stats, []));
    }

    [Fact]
    public void CategoryPopularity_PutsTheQueryCategoryFirstByPopularity()
    {
        // "lamp" → home/lamp: row 0 (one click) before row 1; then BM25 (nothing else matches), then popularity.
        Assert.Equal([0, 1, 2, 4, 3, 5], new CategoryPopularityBaseline(_stats).RankAll([Example("lamp", 1)], 6)[0]);
        // Browse: the latest history item's category (footwear/shoe).
        Assert.Equal([4, 5], new CategoryPopularityBaseline(_stats).RankAll([Example(null, 5, 0, 5)], 6)[0][..2]);
    }

    [Fact]
    public void Outcomes_RankAndCategoryPrecision()
    {
        var examples = new[] { Example("red", 2) with { OutOfInterest = true }, Example("lamp", 5) };
        int[][] lists = [[0, 2, 3], [0, 1]];
        var o = new ExampleOutcomes(examples, lists, _stats.Leaf);
        Assert.Equal([1, -1], o.Ranks);
        Assert.Equal([0.2, 0.0], o.CategoryPrecision10); // rows 2 and 3 are mugs; no shoe in the second list
        Assert.Equal([1.0, 0.0], o.Hits(10));
        Assert.Equal([0.0, 0.0], o.Hits(1));
        Assert.Equal([1.0], QualityEvaluator.PerExample(examples, o, "OOI HR@50"));
        Assert.Equal(1 / Math.Log2(3), o.Ndcg10()[0], 12);
    }

    [Fact]
    public void PretrainedText_FindsWhatTheQueryMeans_WithoutSharingAWord()
    {
        var baseline = new PretrainedTextBaseline(_stats, _log.Items, Karma.Training.Pretrained.PretrainedText.LoadMiniLm());
        // No title shares a word with these queries; the pretrained model knows what they mean.
        Assert.Contains(baseline.RankAll([Example("coffee cup", 3)], 6)[0][0], new[] { 2, 3 });
        Assert.Contains(baseline.RankAll([Example("sneakers", 4)], 6)[0][0], new[] { 4, 5 });
        Assert.Contains(baseline.RankAll([Example("light", 0)], 6)[0][0], new[] { 0, 1 });
        // Browse: the history's mean; no history and no query: popularity.
        Assert.Contains(baseline.RankAll([Example(null, 0, 2)], 6)[0][0], new[] { 2, 3 });
        Assert.Equal([2, 4, 0, 1, 3, 5], baseline.RankAll([Example(null, 0)], 6)[0]);
    }
}
