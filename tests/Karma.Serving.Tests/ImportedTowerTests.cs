using System.Text.Json;
using Grpc.Core;
using Karma.Core.Data.Synthetic;
using Karma.Core.Package;
using Karma.Serving.Contracts.V1;

namespace Karma.Serving.Tests;

/// <summary>
/// Bring your own model, end to end: examples/pytorch/train_tower.py trains a two-tower model in PyTorch (Debian's
/// python3-torch) on generated data and exports its user tower with torch.onnx; the real <c>karma package import</c>
/// builds a package from it (WordPiece vocabulary, .npy item table, pre-ranker trained on its interests, gate forced:
/// a four-epoch tower on 400 items is not meant to beat BM25); the real service serves it.
/// </summary>
public sealed class ImportedTowerFixture() : PackageServerFixture("karma-import-")
{
    public string Data => Path.Combine(Root, "data");
    public string Tower => Path.Combine(Root, "tower");
    /// <summary>What <c>karma package import</c> printed on stdout.</summary>
    public string ImportOutput { get; private set; } = string.Empty;

    protected override Task BuildPackageAsync()
    {
        SyntheticLogGenerator.Generate(SyntheticPreset.Get("tiny"), 11, Data);
        var trained = KarmaProcess.RunProgram("/usr/bin/python3", new Dictionary<string, string> { ["PYTHONWARNINGS"] = "ignore" },
            Path.Combine(RepositoryPaths.Root, "examples", "pytorch", "train_tower.py"), "--data", Data, "--out", Tower);
        Assert.True(trained.ExitCode == 0, "train_tower.py failed: " + trained.Error);
        var import = KarmaProcess.Run("package", "import", "--data", Data, "--user-tower", Path.Combine(Tower, "user_tower.onnx"),
            "--embeddings", Path.Combine(Tower, "item_embeddings.npy"), "--tokenizer", Path.Combine(Tower, "vocab.txt"),
            "--out", Package, "--name", "torch", "--force");
        Assert.True(import.ExitCode == 0, "karma package import failed: " + import.Error);
        ImportOutput = import.Output;
        return Task.CompletedTask;
    }
}

[Collection(OwnServerGroup.Name)]
public sealed class ImportedTowerTests(ImportedTowerFixture f) : IClassFixture<ImportedTowerFixture>
{
    private Retrieval.RetrievalClient Client => new(f.Server.Channel);

    private sealed record Reference(string[] History, string Query, float[] Interest);

    private static readonly JsonSerializerOptions Snake = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    [Fact]
    public void Import_WritesAVerifiedPackage_WithTheWordPieceTokenizer_AndNoItemTowerOrDecoder()
    {
        var manifest = ModelManifest.Read(f.Package);
        Assert.StartsWith("import-torch-", manifest.ModelVersion, StringComparison.Ordinal);
        Assert.Equal("wordpiece", manifest.TokenizerFormat);
        Assert.Equal("vocab.txt", manifest.Tokenizer.File);
        Assert.Equal(32, manifest.Dimensions.EmbedDim);
        Assert.False(manifest.Graphs.ContainsKey(PackageRoles.ItemTower));
        Assert.False(manifest.Graphs.ContainsKey(PackageRoles.Decoder));
        Assert.NotNull(manifest.Quality);
        Assert.True(manifest.Quality.Gate.Passed || manifest.Quality.Gate.Forced);
        Assert.Contains("quality gate", f.ImportOutput, StringComparison.Ordinal);
        Assert.True(KarmaProcess.Run("package", "verify", f.Package).ExitCode == 0);
    }

    [Fact]
    public async Task Encode_ReturnsThePyTorchTowersInterest_ForTheSameRequest()
    {
        var references = JsonSerializer.Deserialize<Reference[]>(File.ReadAllText(Path.Combine(f.Tower, "reference.json")), Snake)!;
        Assert.NotEmpty(references);
        foreach (var reference in references)
        {
            var context = new UserContext { Query = reference.Query };
            context.HistoryItemIds.AddRange(reference.History);
            var served = (await Client.EncodeAsync(new EncodeRequest { Context = context })).Embedding.Values;
            Assert.Equal(reference.Interest.Length, served.Count);
            double diff = reference.Interest.Zip(served, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(diff < 1e-4, $"served interest differs from PyTorch's by {diff:E2} for query '{reference.Query}' and {reference.History.Length} history items");
        }
    }

    [Fact]
    public async Task Search_ServesTheImportedCatalog_AndExplainSaysTheDecoderIsMissing()
    {
        var catalog = ItemCatalogFile.Read(Path.Combine(f.Package, ItemCatalogFile.FileName));
        var context = new UserContext { Query = catalog.Titles[3]! };
        context.HistoryItemIds.Add(catalog.Ids[1]);
        var search = await Client.SearchAsync(new SearchRequest { Context = context, TopN = 10 });
        Assert.Equal(10, search.Items.Count);
        Assert.All(search.Items, i => Assert.True(catalog.RowOf(i.ItemId) >= 0));
        Assert.StartsWith("import-torch-", search.ModelVersion, StringComparison.Ordinal);
        Assert.Equal(0, search.ContextReport.UnknownHistoryItems);

        var e = await Assert.ThrowsAsync<RpcException>(async () => await Client.ExplainAsync(new ExplainRequest { Context = context }));
        Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
    }

    [Theory]
    [InlineData("--user-tower", "models/default/prerank.onnx", "not a user tower of the package contract")]
    [InlineData("--embeddings", "models/default/item_catalog.jsonl", "unknown vector file type '.jsonl'")]
    [InlineData("--tokenizer", "models/default/manifest.json", "manifest.json")]
    public void Import_RefusesAWrongFile_NamingIt(string option, string file, string expected)
    {
        var args = new Dictionary<string, string>
        {
            ["--user-tower"] = Path.Combine(f.Tower, "user_tower.onnx"),
            ["--embeddings"] = Path.Combine(f.Tower, "item_embeddings.npy"),
            ["--tokenizer"] = Path.Combine(f.Tower, "vocab.txt"),
        };
        args[option] = Path.Combine(RepositoryPaths.Root, file);
        string output = Path.Combine(f.Root, "refused-" + option.TrimStart('-'));
        var r = KarmaProcess.Run(["package", "import", "--data", f.Data, "--out", output, .. args.SelectMany(a => new[] { a.Key, a.Value })]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(expected, r.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output), "a refused import writes nothing");
    }
}
