using Karma.Core.Data;
using Karma.Core.Data.Synthetic;

namespace Karma.Core.Tests.Data;

/// <summary>One tiny data set shared by the shape and text tests.</summary>
public sealed class TinySyntheticData : IDisposable
{
    public TinySyntheticData()
    {
        Summary = SyntheticLogGenerator.Generate(SyntheticPreset.Get("tiny"), 7, Dir);
        Log = SearchLog.Load(Dir, BadRowPolicy.Fail);
    }

    public string Dir { get; } = Directory.CreateTempSubdirectory("karma-synth-").FullName;

    public SyntheticSummary Summary { get; }

    public SearchLog Log { get; }

    /// <summary>Each user's requests in time order.</summary>
    public IEnumerable<IGrouping<int, SearchRequest>> ByUser => Log.Requests.GroupBy(r => r.User);

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

public sealed class SyntheticLogGeneratorTests(TinySyntheticData data) : IClassFixture<TinySyntheticData>
{
    private static readonly char[] Separators = [' ', ',', '.', ':', '?'];

    private static HashSet<string> Words(string text) =>
        text.ToLowerInvariant().Split(Separators, StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);

    [Theory]
    [InlineData("tiny")]
    [InlineData("realistic-tiny")]
    public void Generate_SameSeed_ByteIdenticalFiles_DifferentSeed_DifferentFiles(string presetName)
    {
        var preset = SyntheticPreset.Get(presetName);
        using TempDirectory a = new("karma-det-"), b = new("karma-det-"), c = new("karma-det-");
        SyntheticLogGenerator.Generate(preset, 11, a.Path);
        SyntheticLogGenerator.Generate(preset, 11, b.Path);
        SyntheticLogGenerator.Generate(preset, 12, c.Path);
        foreach (string file in new[] { ItemsJsonl.FileName, EventsCsv.FileName })
        {
            byte[] first = File.ReadAllBytes(Path.Combine(a.Path, file));
            Assert.Equal(first, File.ReadAllBytes(Path.Combine(b.Path, file)));
            Assert.NotEqual(first, File.ReadAllBytes(Path.Combine(c.Path, file)));
        }
    }

    /// <summary>
    /// The original presets are frozen: tiny with seed 7 must give exactly the files the generator wrote before
    /// the realistic presets were added (SHA-256 of items.jsonl and events.csv).
    /// </summary>
    [Fact]
    public void Tiny_Seed7_FilesMatchThePinnedHashes()
    {
        Assert.Equal("ec4df9cf4a26235580032777543a36f071e41100e5af684c89b7d77d3fd2a42a", Sha256(ItemsJsonl.FileName));
        Assert.Equal("92ffc97bccd3588b5c20c18c23d52f069c99ecf6c9571f6ceb5ffe3fdd326dac", Sha256(EventsCsv.FileName));
        Assert.Null(data.Summary.Realism);
    }

    private string Sha256(string file) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(data.Dir, file))));

    [Fact]
    public void Preset_UnknownName_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => SyntheticPreset.Get("huge"));
        Assert.Contains("tiny", e.Message, StringComparison.Ordinal);
        foreach (string name in SyntheticPreset.Names)
        {
            SyntheticPreset.Get(name).Validate();
        }
    }

    [Fact]
    public void Tiny_CountsInExpectedRanges()
    {
        var s = data.Summary;
        Assert.Equal(400, s.Items);
        Assert.Equal(140, s.Users);
        Assert.InRange(s.Events, 5_000, 10_000);
        Assert.Equal(s.Impressions + s.Clicks + s.Carts + s.Purchases, s.Events);
        Assert.InRange(s.ColdItems, 0.12 * s.Items, 0.18 * s.Items);

        var log = data.Log;
        Assert.Equal(s.Items, log.Items.Count);
        Assert.Equal(s.Users, log.Users.Count);
        Assert.Equal(s.Requests, log.Requests.Count);
        Assert.Equal(s.Events, log.EventCount);
        Assert.Equal(16, log.ImageDim);
        Assert.All(log.Requests, r => Assert.InRange(r.Impressed.Length, 10, 20));
        Assert.All(log.Items, i => Assert.Equal(3, i.Category.Split('/').Length));
        double browse = log.Requests.Count(r => r.Query is null) / (double)log.Requests.Count;
        Assert.InRange(browse, 0.05, 0.25);
    }

    [Fact]
    public void Tiny_ColdItemsOnlyInEachUsersFinalTwoRequests_WhichHaveOneClickEach()
    {
        var log = data.Log;
        var cold = data.Summary.ColdItemIds.Select(id => log.ItemIndex[id]).ToHashSet();
        foreach (var user in data.ByUser)
        {
            var engaged = user.Where(r => r.Engaged.Length > 0).ToList();
            Assert.True(engaged.Count >= 3, $"user {log.Users[user.Key]} has {engaged.Count} engaged requests");
            var requests = user.ToList();
            // The final two requests are the last two engaged ones and have exactly one click each.
            Assert.Same(requests[^1], engaged[^1]);
            Assert.Same(requests[^2], engaged[^2]);
            Assert.Single(requests[^1].Engaged);
            Assert.Single(requests[^2].Engaged);
            Assert.True(requests[^1].Timestamp > requests[^2].Timestamp);
            foreach (var r in requests.Take(requests.Count - 2))
            {
                Assert.DoesNotContain(r.Impressed, cold.Contains);
                Assert.DoesNotContain(r.Engaged, cold.Contains);
            }
        }

        // Cold items keep their natural share of the final requests' clicks.
        int coldFinalClicks = data.ByUser.Count(u => cold.Contains(u.Last().Engaged[0]));
        Assert.InRange(coldFinalClicks, 5, 60);
    }

    [Fact]
    public void Tiny_TemporalSplit_TestTargetsAreFinalClicks_SomeCold()
    {
        var log = data.Log;
        var split = TemporalSplit.Build(log, 50);
        Assert.Equal(log.Users.Count, split.Test.Count);
        Assert.Equal(log.Users.Count, split.Validation.Count);
        Assert.True(split.Train.Count >= log.Users.Count);
        var lastRequest = new Dictionary<int, int>();
        for (int r = 0; r < log.Requests.Count; r++)
        {
            lastRequest[log.Requests[r].User] = r;
        }

        foreach (var ex in split.Test)
        {
            Assert.Equal(lastRequest[ex.User], ex.Request);
            Assert.Equal(log.Requests[ex.Request].Engaged[0], ex.Target);
        }

        var cold = data.Summary.ColdItemIds.Select(id => log.ItemIndex[id]).ToHashSet();
        Assert.Contains(split.Test, ex => split.IsCold(ex.Target));
        Assert.Contains(split.Test, ex => cold.Contains(ex.Target));
        Assert.Contains(split.Test, ex => !split.IsCold(ex.Target));
        Assert.All(cold, i => Assert.Equal(0, split.TrainClicks[i]));
    }

    [Fact]
    public void Tiny_TitlesOfTheSameLeafShareMoreWords()
    {
        var items = data.Log.Items;
        var words = items.Select(i => Words(i.Title)).ToArray();
        double same = 0, different = 0;
        int sameN = 0, differentN = 0;
        for (int a = 0; a < items.Count; a++)
        {
            for (int b = a + 1; b < items.Count; b++)
            {
                int inter = words[a].Count(words[b].Contains);
                double jaccard = inter / (double)(words[a].Count + words[b].Count - inter);
                if (items[a].Category == items[b].Category)
                {
                    same += jaccard;
                    sameN++;
                }
                else
                {
                    different += jaccard;
                    differentN++;
                }
            }
        }

        same /= sameN;
        different /= differentN;
        Assert.True(same > 3 * different, $"same-leaf Jaccard {same:F3}, different-leaf {different:F3}");
    }

    [Fact]
    public void Tiny_QueriesUseCategorySynonyms_OftenNotTheTitlesWords()
    {
        var log = data.Log;
        var synonymWords = Taxonomy.Instance.Leaves.ToDictionary(
            l => l.Path, l => l.Noun.Synonyms.SelectMany(Words).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        int clicks = 0, sharesCategoryWord = 0, sharesTitleWord = 0;
        foreach (var r in log.Requests.Where(r => r.Query is not null))
        {
            var query = Words(r.Query!);
            foreach (int i in r.Engaged)
            {
                clicks++;
                if (query.Overlaps(synonymWords[log.Items[i].Category]))
                {
                    sharesCategoryWord++;
                }

                if (query.Overlaps(Words(log.Items[i].Title)))
                {
                    sharesTitleWord++;
                }
            }
        }

        Assert.True(clicks > 300);
        Assert.True(sharesCategoryWord > 0.7 * clicks, $"{sharesCategoryWord} of {clicks} clicks");
        // Synonyms make literal word overlap with the clicked title an unreliable signal.
        Assert.True(sharesTitleWord < 0.8 * sharesCategoryWord, $"{sharesTitleWord} title overlaps vs {sharesCategoryWord}");
    }
}
