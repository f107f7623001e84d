using System.Globalization;
using System.Text;
using Karma.Serving.Contracts.V1;

namespace Karma.Serving.Tests;

/// <summary>
/// Data in the documented format, written here (not by our generator) → <c>karma pipeline --data</c> as a real
/// process → the package it wrote served by the real host → Search over gRPC. Six kinds of goods; users keep to one
/// or two kinds and click their favourite color; queries name the kind, sometimes by a synonym that only the
/// descriptions use.
/// </summary>
public sealed class PipelineServerFixture : ServerFixture
{
    public static readonly string[] Kinds = ["lamp", "mug", "sneaker", "backpack", "shirt", "chair"];
    private static readonly string[] Synonyms = ["light", "cup", "trainer", "rucksack", "tee", "seat"];
    private static readonly string[] Colors = ["red", "blue", "green", "black", "white"];

    private readonly string _root = Directory.CreateTempSubdirectory("karma-pipeline-data-").FullName;

    public string Package => Path.Combine(_root, "package");

    public string PipelineOutput { get; private set; } = string.Empty;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Karma:ModelPath", Package)];

    public override async Task InitializeAsync()
    {
        string data = WriteData(Path.Combine(_root, "data"));
        var run = KarmaProcess.Run("pipeline", "--data", data, "--out", Package, "--work", Path.Combine(_root, "work"),
            "--config", RepositoryPaths.Config("tiny"), "--objective", "karma");
        PipelineOutput = run.Output + run.Error;
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"karma pipeline failed with exit {run.ExitCode}:\n{PipelineOutput}");
        }

        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private static string WriteData(string dir)
    {
        Directory.CreateDirectory(dir);
        var items = new StringBuilder();
        var catalog = new List<(string Id, int Kind, int Color)>();
        for (int kind = 0; kind < Kinds.Length; kind++)
        {
            for (int color = 0; color < Colors.Length; color++)
            {
                for (int v = 0; v < 8; v++)
                {
                    string id = $"sku-{catalog.Count:D4}";
                    catalog.Add((id, kind, color));
                    items.Append(CultureInfo.InvariantCulture,
                        $$"""{"item_id":"{{id}}","title":"{{Colors[color]}} {{Kinds[kind]}} {{(v % 2 == 0 ? "classic" : "modern")}} no. {{v}}","category":"goods/{{Kinds[kind]}}","description":"A {{Colors[color]}} {{Synonyms[kind]}} for every day.","brand":"brand{{v % 3}}","price":{{10 + (v * 3)}}}""")
                        .Append('\n');
                }
            }
        }

        File.WriteAllText(Path.Combine(dir, "items.jsonl"), items.ToString());
        var rng = new Random(17);
        var events = new StringBuilder("user_id,item_id,timestamp,action,query,request_id\n");
        int request = 0;
        for (int u = 0; u < 160; u++)
        {
            int[] kinds = [rng.Next(Kinds.Length), rng.Next(Kinds.Length)];
            int color = rng.Next(Colors.Length);
            for (int r = 0; r < 7; r++)
            {
                int kind = kinds[rng.Next(2)];
                string query = rng.Next(3) == 0 ? Synonyms[kind] : Kinds[kind];
                long ts = 1_767_225_600 + (u * 100_000) + (r * 1000);
                var shown = catalog.Where(c => c.Kind == kind).OrderBy(_ => rng.Next()).Take(6)
                    .Concat(catalog.OrderBy(_ => rng.Next()).Take(4)).Distinct().ToList();
                var clicked = shown.Where(c => c.Kind == kind).OrderByDescending(c => c.Color == color ? 1 : 0).ThenBy(_ => rng.Next()).First();
                string id = $"q{request++}";
                foreach (var s in shown)
                {
                    events.Append(CultureInfo.InvariantCulture, $"user{u},{s.Id},{ts},impression,{query},{id}\n");
                }

                events.Append(CultureInfo.InvariantCulture, $"user{u},{clicked.Id},{ts + 5},click,{query},{id}\n");
            }
        }

        File.WriteAllText(Path.Combine(dir, "events.csv"), events.ToString());
        return dir;
    }
}

public sealed class PipelineSearchTests(PipelineServerFixture fx) : IClassFixture<PipelineServerFixture>
{
    private Retrieval.RetrievalClient Client => new(fx.Channel);

    [Fact]
    public void Pipeline_ReportsTheSearchPathAgainstTheBaselines()
    {
        Assert.Contains("bm25+history", fx.PipelineOutput, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(fx.Package, "README.md")));
        Assert.True(File.Exists(Path.Combine(fx.Package, "lexical_index.bin")));
    }

    [Theory]
    [InlineData("lamp", "goods/lamp")]
    [InlineData("rucksack", "goods/backpack")]
    public async Task Search_OnTheTrainedPackage_ReturnsTitledItemsOfTheQueriedKind(string query, string category)
    {
        var request = new SearchRequest { Context = new UserContext { Query = query }, TopN = 10, RecallK = 100 };
        request.Context.HistoryItemIds.Add("sku-0100"); // a sneaker: the history points elsewhere
        var r = await Client.SearchAsync(request);
        Assert.Equal(10, r.Items.Count);
        Assert.All(r.Items, i => Assert.False(string.IsNullOrEmpty(i.Title)));
        Assert.All(r.Items, i => Assert.NotEmpty(i.Channels));
        Assert.True(r.Items.Count(i => i.Category == category) >= 8,
            $"{query}: " + string.Join(", ", r.Items.Select(i => $"{i.Title} ({i.Category})")));
        Assert.InRange(r.Recalled, 10, 100);
        Assert.True(r.RecalledByChannel["lexical"] > 0 && r.RecalledByChannel["karma"] > 0);
    }
}
