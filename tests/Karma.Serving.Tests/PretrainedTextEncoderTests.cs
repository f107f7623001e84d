using Karma.Core.Data.Synthetic;
using Karma.Core.Package;
using Karma.Export.Packaging;
using Karma.Serving.Contracts.V1;
using Karma.Serving.Core.Model;
using Karma.Training.Configuration;
using Karma.Training.Objectives;
using Karma.Training.Training;
using Microsoft.Extensions.Logging.Abstractions;

namespace Karma.Serving.Tests;

/// <summary>
/// A tiny model with the frozen pretrained text encoder (all-MiniLM-L6-v2): stage 1, align with the text encoder,
/// export (graph parity checked by the exporter), then the real service on it.
/// </summary>
public sealed class PretrainedPackageFixture() : PackageServerFixture("karma-pretrained-")
{
    public ExportResult Export { get; private set; } = null!;

    protected override Task BuildPackageAsync()
    {
        string data = Path.Combine(Root, "data");
        SyntheticLogGenerator.Generate(SyntheticPreset.Get("tiny"), 5, data);
        var config = Json.Read<TrainingConfig>(RepositoryPaths.Config("tiny"));
        config = config with
        {
            Model = config.Model with { TextEncoder = ModelConfig.MiniLmTextEncoder },
            Pretrain = config.Pretrain with { Steps = 30 },
            Align = config.Align with { Steps = 60 },
            PreRank = config.PreRank with { Steps = 30 },
        };
        string pretrain = Path.Combine(Root, "pretrain"), align = Path.Combine(Root, "align");
        Pretrainer.Run(new RunOptions { DataDir = data, OutDir = pretrain, Config = config, Seed = 2, Log = TextWriter.Null });
        Aligner.Run(new RunOptions { DataDir = data, OutDir = align, Config = config, Seed = 2, Log = TextWriter.Null }, pretrain, Objective.Karma);
        Export = ModelExporter.Export(new ExportOptions { CheckpointDir = align, OutDir = Package, DataDir = data }, TextWriter.Null);
        return Task.CompletedTask;
    }
}

/// <summary>Issue 13: a model whose item tower and interest slot read the frozen pretrained text encoder, exported and served.</summary>
[Collection(OwnServerGroup.Name)]
public sealed class PretrainedTextEncoderTests(PretrainedPackageFixture f) : IClassFixture<PretrainedPackageFixture>
{
    private Retrieval.RetrievalClient Client => new(f.Server.Channel);

    private static UserContext Context(string query, params string[] history)
    {
        var c = new UserContext { Query = query };
        c.HistoryItemIds.AddRange(history);
        return c;
    }

    private async Task<float[]> EncodeAsync(UserContext context)
        => [.. (await Client.EncodeAsync(new EncodeRequest { Context = context })).Embedding.Values];

    [Fact]
    public void Export_NamesTheEncoderByHash_AndKeepsParity()
    {
        var encoder = f.Export.Manifest.TextEncoder;
        Assert.NotNull(encoder);
        Assert.Equal("all-MiniLM-L6-v2", encoder.Name);
        Assert.Equal(Karma.Core.Text.MiniLmFiles.ModelSha256, encoder.ModelSha256);
        Assert.Equal(384, encoder.Dimensions);
        Assert.False(File.Exists(Path.Combine(f.Package, "model.onnx")), "the 91 MB encoder is referenced by hash, not copied");
        var user = f.Export.Parity.Single(p => p.Graph == PackageRoles.UserTower);
        Assert.InRange(user.MaxAbsDiff, 0, 1e-4);
        Assert.Contains(f.Export.Manifest.Graphs[PackageRoles.UserTower].Inputs, i => i.Name == TowerNames.QueryEmbedding);
    }

    [Fact]
    public async Task Query_ReachesTheInterest_ThroughTheTextEncoder()
    {
        var catalog = ItemCatalogFile.Read(Path.Combine(f.Package, ItemCatalogFile.FileName));
        string item = catalog.Ids[0];
        var browse = await EncodeAsync(Context("", item));
        var kettle = await EncodeAsync(Context("electric kettle", item));
        var skillet = await EncodeAsync(Context("cast iron skillet", item));
        Assert.Equal(1.0, Math.Sqrt(kettle.Sum(v => (double)v * v)), 4);
        Assert.NotEqual(browse, kettle);
        Assert.NotEqual(kettle, skillet);
        // Served twice: the second answer comes from the interest cache and is the same vector.
        var again = await Client.EncodeAsync(new EncodeRequest { Context = Context("electric kettle", item) });
        Assert.True(again.ContextReport.CacheHit);
        Assert.Equal(kettle, again.Embedding.Values.ToArray());
    }

    [Fact]
    public async Task Queries_ThatDifferOnlyPastTheModelsTokenLimit_AreNotConfused()
    {
        // The model's own tokens stop at max_query_tokens; the text encoder reads up to 32 word pieces. Two queries equal
        // in their first max_query_tokens tokens must still get different embeddings (and cache entries).
        int limit = f.Export.Manifest.Limits.MaxQueryTokens;
        string prefix = string.Join(' ', Enumerable.Repeat("lamp", limit + 2));
        var a = await Client.EncodeAsync(new EncodeRequest { Context = Context(prefix + " kettle") });
        var b = await Client.EncodeAsync(new EncodeRequest { Context = Context(prefix + " skillet") });
        Assert.True(a.ContextReport.QueryTruncated);
        Assert.False(b.ContextReport.CacheHit);
        Assert.NotEqual(a.Embedding.Values.ToArray(), b.Embedding.Values.ToArray());
    }

    [Fact]
    public async Task Search_Answers_WithTheTextEncoderModel()
    {
        var r = await Client.SearchAsync(new SearchRequest { Context = Context("kettle"), TopN = 5 });
        Assert.Equal(5, r.Items.Count);
        Assert.Equal(f.Export.Manifest.ModelVersion, r.ModelVersion);
    }

    [Fact]
    public void Package_WhoseEncoderHashDiffers_IsRefused_NamingBoth()
    {
        string copy = TestFiles.CopyFiles(f.Package, Path.Combine(f.Root, "foreign-encoder"));

        var manifest = ModelManifest.Read(copy);
        (manifest with { TextEncoder = manifest.TextEncoder! with { ModelSha256 = new string('0', 64) } }).Write(copy);
        var e = Assert.Throws<InvalidDataException>(() => ModelPackage.Load(copy, InferenceDevice.Cpu, NullLogger.Instance));
        Assert.Contains("text encoder all-MiniLM-L6-v2", e.Message, StringComparison.Ordinal);
        Assert.Contains(Karma.Core.Text.MiniLmFiles.ModelSha256, e.Message, StringComparison.Ordinal);
    }
}
