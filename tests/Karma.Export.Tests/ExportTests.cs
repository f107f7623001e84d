using System.Text.Json.Nodes;
using Karma.Core.Package;
using Karma.Export.Packaging;
using Karma.Training.Configuration;

namespace Karma.Export.Tests;

public sealed class ExportTests(TinyCheckpointFixture fx) : IClassFixture<TinyCheckpointFixture>
{
    [Fact]
    public void Export_MeetsParityLimits_OnEveryGraph()
    {
        var parity = fx.Result.Parity.ToDictionary(p => p.Graph);
        Assert.Equal(["item_tower", "user_tower", "decoder", "prerank"], parity.Keys);
        Assert.All(parity.Values, p => Assert.True(p.MaxAbsDiff <= 1e-4, $"{p.Graph}: {p.MaxAbsDiff}"));
        Assert.True(parity["user_tower"].Samples >= 256);
        Assert.True(parity["user_tower"].Top10Agreement >= 0.99);
    }

    [Fact]
    public void Verify_AcceptsTheExportedPackage()
    {
        var report = PackageVerifier.Verify(fx.Package);
        Assert.True(report.Ok, string.Join("\n", report.Problems));
        Assert.Contains(report.Checks, c => c.StartsWith("smoke query", StringComparison.Ordinal));
    }

    [Fact]
    public void Manifest_DescribesGraphsTablesAndMetrics()
    {
        var m = ModelManifest.Read(fx.Package);
        Assert.Equal(["interest"], m.Graphs["user_tower"].Outputs.Select(o => o.Name));
        Assert.Equal(["batch", "sequence"], m.Graphs["user_tower"].Inputs.Single(i => i.Name == "input_ids").Shape);
        Assert.Equal(m.Dimensions.Items, m.Tables["embeddings"].Rows);
        Assert.Equal(m.Dimensions.Items, m.Tables["lexical"].Rows);
        Assert.Equal(Karma.Search.Lexical.LexicalIndexFile.ElementType, m.Tables["lexical"].ElementType);
        Assert.Equal(Karma.Search.Hybrid.FeatureSet.All.Names, m.PrerankFeatures);
        Assert.Equal(Karma.Search.Hybrid.ItemStatistics.Columns, m.ItemStatistics);
        Assert.Equal(new ManifestSearch(200, 0.5, 0.3, 0.2), m.Search); // configs/tiny.json and the default shares
        Assert.Equal(["user", "candidates", "features"], m.Graphs["prerank"].Inputs.Select(i => i.Name));
        Assert.Equal(["interest", "decoder_ids"], m.Graphs["decoder"].Inputs.Select(i => i.Name));
        Assert.Equal(["batch", m.Dimensions.VocabSize.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            m.Graphs["decoder"].Outputs.Single(o => o.Name == "next_token_logits").Shape);
        Assert.Equal(m.PrerankFeatures.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            m.Graphs["prerank"].Inputs.Single(i => i.Name == "features").Shape[^1]);
        foreach (string key in new[] { "embedding_hr200", "semantic_fidelity50", "parity_user_tower_max_abs_diff", "prerank_candidate_recall",
            "prerank_train_requests" })
        {
            Assert.True(m.Metrics.ContainsKey(key), key);
        }
    }

    [Fact]
    public void Export_TrainsThePreRankerOnRecalledCandidates()
    {
        var fit = fx.Result.PreRank;
        Assert.True(fit.TrainExamples > 20, $"{fit.TrainExamples} training requests");
        Assert.True(fit.HoldoutExamples > 0);
        Assert.InRange(fit.CandidateRecall, 0.2, 1.0);
        Assert.InRange(fit.BestStep, 1, 40);
        Assert.True(double.IsFinite(fit.HoldoutLoss));
    }

    [Fact]
    public void Export_RefusesWhenParityFails_AndWritesNothing()
    {
        string outDir = Path.Combine(fx.Root, "strict");
        var error = Assert.Throws<ParityException>(() => ModelExporter.Export(new ExportOptions
        {
            CheckpointDir = fx.Checkpoint, OutDir = outDir, DataDir = fx.Data, MaxAbsDiff = 0,
        }, TextWriter.Null));
        Assert.Contains("max |diff|", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
        Assert.Empty(Directory.GetDirectories(fx.Root, ".strict*"));
    }

    [Fact]
    public void Export_RecordsTheGatesEvaluation_AndADriftReference()
    {
        var m = ModelManifest.Read(fx.Package);
        Assert.NotNull(m.Quality);
        Assert.True(m.Quality.Gate.Passed, m.Quality.Gate.Summary); // configs/tiny.json gates nothing
        Assert.False(m.Quality.Gate.Forced);
        Assert.Equal("test", m.Quality.Split);
        Assert.InRange(m.Quality.Figures["embedding_hr200"], 0.0, 1.0);
        Assert.NotNull(m.InterestReference);
        Assert.Equal(m.Dimensions.EmbedDim, m.InterestReference.Mean.Count);
        Assert.Equal(1.0, m.InterestReference.Categories.Values.Sum(), 3);
        Assert.True(m.InterestReference.Requests > 0);
        Assert.InRange(m.InterestReference.TestDivergence, 0.0, 1.0);
        Assert.Equal(m.ModelVersion, fx.Result.Quality!.Report.ModelVersion); // the evaluation is of the package as written
    }

    [Fact]
    public void Export_RefusesAModelThatFailsTheGate_NamingTheCheck_AndWritesNothing()
    {
        string outDir = Path.Combine(fx.Root, "gated");
        var error = Assert.Throws<QualityGateException>(() => ModelExporter.Export(new ExportOptions
        {
            CheckpointDir = fx.Checkpoint, OutDir = outDir, DataDir = fx.Data,
            Gate = new QualityGateConfig { Metrics = [], MaxSinkMass = 1e-4 },
        }, TextWriter.Null));
        Assert.Contains("attention-sink mass", error.Message, StringComparison.Ordinal);
        Assert.Contains("--force", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
        Assert.Empty(Directory.GetDirectories(fx.Root, ".gated*"));
    }

    [Fact]
    public void Export_ForcedPastAFailedGate_WritesAndRecordsThatItWasForced()
    {
        string outDir = Path.Combine(fx.Root, "forced");
        var result = ModelExporter.Export(new ExportOptions
        {
            CheckpointDir = fx.Checkpoint, OutDir = outDir, DataDir = fx.Data,
            Gate = new QualityGateConfig { Metrics = [], MaxSinkMass = 1e-4 }, ForceGate = true,
        }, TextWriter.Null);
        var gate = ModelManifest.Read(outDir).Quality!.Gate;
        Assert.False(gate.Passed);
        Assert.True(gate.Forced);
        Assert.Equal(result.Manifest.Quality!.Gate.Summary, gate.Summary);
        Assert.True(PackageVerifier.Verify(outDir).Ok);
    }

    [Fact]
    public void Export_Float16Table_Verifies()
    {
        string outDir = Path.Combine(fx.Root, "f16");
        ModelExporter.Export(new ExportOptions
        {
            CheckpointDir = fx.Checkpoint, OutDir = outDir, DataDir = fx.Data, EmbeddingType = VectorElementType.Float16,
        }, TextWriter.Null);
        Assert.Equal("float16", ModelManifest.Read(outDir).Tables["embeddings"].ElementType);
        var report = PackageVerifier.Verify(outDir);
        Assert.True(report.Ok, string.Join("\n", report.Problems));
    }

    [Fact]
    public void Export_RefusesToReplaceADirectoryThatIsNotAPackage()
    {
        string dir = Path.Combine(fx.Root, "not-a-package");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "precious.txt"), "keep me");
        var error = Assert.Throws<IOException>(() => ModelExporter.Export(
            new ExportOptions { CheckpointDir = fx.Checkpoint, OutDir = dir, DataDir = fx.Data, Force = true }, TextWriter.Null));
        Assert.Contains("not a model package", error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir, "precious.txt")));
    }

    [Fact]
    public void Export_RefusesToOverwriteWithoutForce()
    {
        var error = Assert.Throws<IOException>(() => ModelExporter.Export(
            new ExportOptions { CheckpointDir = fx.Checkpoint, OutDir = fx.Package, DataDir = fx.Data }, TextWriter.Null));
        Assert.Contains("--force", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Corruptions => new()
    {
        { "missing-graph", "user_tower.onnx: missing" },
        { "truncated-table", "item_embeddings.bin: " },
        { "tampered-graph", "prerank.onnx: SHA-256 does not match" },
        { "tampered-tokenizer", "tokenizer.json: SHA-256 does not match" },
        { "manifest-dims", "shape [" },
        { "manifest-json", "manifest.json: not a valid manifest" },
        { "manifest-missing", "manifest.json: missing" },
        { "manifest-version", "format version 99 is not supported" },
        { "manifest-null-section", "manifest: dimensions or limits missing" },
        { "manifest-path-escape", "is not a plain file name" },
        { "tampered-lexical", "lexical_index.bin: SHA-256 does not match" },
        { "manifest-unknown-feature", "'clicks_tomorrow' is not known" },
        { "manifest-old-format", "format version 1 is not supported" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Verify_NamesEachKindOfCorruption(string corruption, string expected)
    {
        string dir = fx.CopyPackage("corrupt-" + corruption);
        string manifest = Path.Combine(dir, ModelManifest.FileName);
        switch (corruption)
        {
            case "missing-graph":
                File.Delete(Path.Combine(dir, "user_tower.onnx"));
                break;
            case "truncated-table":
                using (var s = File.OpenWrite(Path.Combine(dir, "item_embeddings.bin")))
                {
                    s.SetLength(s.Length - 4);
                }

                break;
            case "tampered-graph":
                FlipByte(Path.Combine(dir, "prerank.onnx"));
                break;
            case "tampered-tokenizer":
                FlipByte(Path.Combine(dir, "tokenizer.json"));
                break;
            case "manifest-dims":
                var json = JsonNode.Parse(File.ReadAllText(manifest))!;
                json["dimensions"]!["embed_dim"] = 3;
                File.WriteAllText(manifest, json.ToJsonString());
                break;
            case "manifest-json":
                File.WriteAllText(manifest, "{ not json");
                break;
            case "manifest-missing":
                File.Delete(manifest);
                break;
            case "manifest-null-section":
                var ns = JsonNode.Parse(File.ReadAllText(manifest))!;
                ns["dimensions"] = null;
                File.WriteAllText(manifest, ns.ToJsonString());
                break;
            case "manifest-path-escape":
                var pe = JsonNode.Parse(File.ReadAllText(manifest))!;
                pe["tokenizer"]!["file"] = "../tokenizer.json";
                File.WriteAllText(manifest, pe.ToJsonString());
                break;
            case "tampered-lexical":
                FlipByte(Path.Combine(dir, "lexical_index.bin"));
                break;
            case "manifest-unknown-feature":
                var uf = JsonNode.Parse(File.ReadAllText(manifest))!;
                uf["prerank_features"]!.AsArray().Add("clicks_tomorrow");
                File.WriteAllText(manifest, uf.ToJsonString());
                break;
            case "manifest-old-format":
                var of = JsonNode.Parse(File.ReadAllText(manifest))!;
                of["format_version"] = 1;
                File.WriteAllText(manifest, of.ToJsonString());
                break;
            case "manifest-version":
                var v = JsonNode.Parse(File.ReadAllText(manifest))!;
                v["format_version"] = 99;
                File.WriteAllText(manifest, v.ToJsonString());
                break;
        }

        var report = PackageVerifier.Verify(dir);
        Assert.False(report.Ok);
        Assert.Contains(report.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    private static void FlipByte(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        b[b.Length / 2] ^= 0x5A;
        File.WriteAllBytes(path, b);
    }
}
