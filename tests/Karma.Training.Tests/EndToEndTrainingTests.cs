using Karma.Core.Data.Synthetic;
using Karma.Training.Configuration;
using Karma.Training.Evaluation;
using Karma.Training.Objectives;
using Karma.Training.Training;

namespace Karma.Training.Tests;

/// <summary>
/// Generates tiny data, pretrains, aligns with KARMA, evaluates: the losses must fall and recall must beat
/// the popularity baseline. One fixture so the three stages run once for all assertions.
/// </summary>
public sealed class TinyPipelineFixture : IDisposable
{
    public TinyPipelineFixture()
    {
        Root = Directory.CreateTempSubdirectory("karma-e2e-").FullName;
        Data = Path.Combine(Root, "data");
        SyntheticLogGenerator.Generate(SyntheticPreset.Get("tiny"), 7, Data);
        Config = Json.Read<TrainingConfig>(RepositoryPaths.Config("tiny"));
        Pretrain = Path.Combine(Root, "pretrain");
        Align = Path.Combine(Root, "align");
        PretrainState = Pretrainer.Run(new RunOptions { DataDir = Data, OutDir = Pretrain, Config = Config, Seed = 1, Log = TextWriter.Null });
        AlignState = Aligner.Run(new RunOptions { DataDir = Data, OutDir = Align, Config = Config, Seed = 1, Log = TextWriter.Null },
            Pretrain, Objective.KarmaImg);
        Report = Evaluator.Run(Align, Data, new EvaluationOptions(), TextWriter.Null);
    }

    public string Root { get; }
    public string Data { get; }
    public string Pretrain { get; }
    public string Align { get; }
    public TrainingConfig Config { get; }
    public TrainerState PretrainState { get; }
    public TrainerState AlignState { get; }
    public EvaluationReport Report { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

public sealed class EndToEndTrainingTests(TinyPipelineFixture run) : IClassFixture<TinyPipelineFixture>
{
    [Fact]
    public void Pretraining_LanguageModelLossFalls()
    {
        var curve = run.PretrainState.Curve;
        Assert.True(curve.Count >= 2);
        Assert.True(curve[^1].Values["lm"] < 0.8 * curve[0].Values["lm"],
            $"lm loss {curve[0].Values["lm"]:F3} -> {curve[^1].Values["lm"]:F3}");
    }

    [Fact]
    public void Alignment_EveryLossFalls()
    {
        var curve = run.AlignState.Curve;
        foreach (string term in new[] { "act", "gen", "rec", "img" })
        {
            Assert.True(curve[^1].Values[term] < curve[0].Values[term], $"{term}: {curve[0].Values[term]:F3} -> {curve[^1].Values[term]:F3}");
        }
    }

    [Fact]
    public void Recall_BeatsPopularityBaseline()
    {
        var r = run.Report;
        Assert.True(r.Model.All.Count > 50);
        Assert.True(r.Model.All.Hr50 > r.Popularity.All.Hr50, $"model HR@50 {r.Model.All.Hr50:F3} vs popularity {r.Popularity.All.Hr50:F3}");
    }

    [Fact]
    public void Evaluation_ReportsEveryDiagnostic()
    {
        var r = run.Report;
        Assert.InRange(r.SemanticFidelity50, 0.0, 1.0);
        Assert.InRange(r.AttentionSinks.MaxKeyMass, r.AttentionSinks.UniformReference * 0.5, 1.0);
    }

    [Fact]
    public void Checkpoint_ReloadsWithSameConfigAndTokenizer()
    {
        var (info, model, tokenizer) = Checkpoint.Load(run.Align);
        using (model)
        {
            Assert.Equal("align", info.Stage);
            Assert.Equal("karma-img", info.Objective);
            Assert.Equal(run.Config.Align.Steps, info.Step);
            Assert.Equal(info.Model.VocabSize, tokenizer.VocabSize);
        }
    }

    [Fact]
    public void Resume_ContinuesFromTheSavedStep()
    {
        string dir = Path.Combine(run.Root, "resume");
        var config = run.Config with { Align = run.Config.Align with { Steps = 60 } };
        var first = Aligner.Run(new RunOptions { DataDir = run.Data, OutDir = dir, Config = config with { Align = config.Align with { Steps = 30 } }, Seed = 2, Log = TextWriter.Null },
            run.Pretrain, Objective.Action);
        Assert.Equal(30, first.Step);
        var log = new StringWriter();
        var second = Aligner.Run(new RunOptions { DataDir = run.Data, OutDir = dir, Config = config, Seed = 2, Resume = true, Log = log },
            run.Pretrain, Objective.Action);
        Assert.Equal(60, second.Step);
        Assert.Contains("resuming", log.ToString(), StringComparison.Ordinal);
        Assert.Equal(60, Checkpoint.ReadInfo(dir).Step);
    }

    [Fact]
    public void Resume_AfterInterruption_GivesTheSameWeightsAsOneRun()
    {
        var config = run.Config with { Align = run.Config.Align with { Steps = 24 } };
        string whole = Path.Combine(run.Root, "whole"), parts = Path.Combine(run.Root, "parts");
        Aligner.Run(new RunOptions { DataDir = run.Data, OutDir = whole, Config = config, Seed = 5, Log = TextWriter.Null }, run.Pretrain, Objective.Karma);
        var first = Aligner.Run(new RunOptions { DataDir = run.Data, OutDir = parts, Config = config, Seed = 5, StopAtStep = 11, Log = TextWriter.Null }, run.Pretrain, Objective.Karma);
        Assert.Equal(11, first.Step);
        Aligner.Run(new RunOptions { DataDir = run.Data, OutDir = parts, Config = config, Seed = 5, Resume = true, Log = TextWriter.Null }, run.Pretrain, Objective.Karma);

        var (_, a, _) = Checkpoint.Load(whole);
        var (_, b, _) = Checkpoint.Load(parts);
        using (a)
        using (b)
        {
            var wb = b.state_dict();
            foreach (var (name, ta) in a.state_dict())
            {
                double diff = (ta - wb[name]).abs().max().item<float>();
                Assert.True(diff < 1e-5, $"{name} differs by {diff}");
            }
        }
    }

    [Fact]
    public void Resume_RefusesOtherSeedOrParent()
    {
        var error = Assert.Throws<InvalidDataException>(() => Aligner.Run(
            new RunOptions { DataDir = run.Data, OutDir = run.Align, Config = run.Config, Seed = 9, Resume = true, Log = TextWriter.Null },
            run.Pretrain, Objective.KarmaImg));
        Assert.Contains("seed differ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DetectsWeightsThatDoNotMatchTheConfig()
    {
        string dir = TestFiles.CopyFiles(run.Align, Path.Combine(run.Root, "torn"));

        File.Copy(Path.Combine(run.Pretrain, Checkpoint.WeightsFile), Path.Combine(dir, Checkpoint.WeightsFile), overwrite: true);
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadInfo(dir));
        Assert.Contains("does not match", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Align_RefusesToResumeAnotherObjective()
    {
        var error = Assert.Throws<InvalidDataException>(() => Aligner.Run(
            new RunOptions { DataDir = run.Data, OutDir = run.Align, Config = run.Config, Seed = 1, Resume = true, Log = TextWriter.Null },
            run.Pretrain, Objective.Action));
        Assert.Contains("karma-img", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HistoryDropout_ShowsQueriedExamplesWithoutHistory_OnlyWhenTraining()
    {
        var (info, model, tokenizer) = Checkpoint.Load(run.Align);
        using (model)
        {
            var log = Karma.Core.Data.SearchLog.Load(run.Data);
            var split = Karma.Core.Data.TemporalSplit.Build(log, info.Model.MaxHistory);
            var examples = split.Train.Where(e => e.History.Length > 0).Take(32).ToList();
            using var items = Karma.Training.Batching.ItemFeatures.Build(log.Items, tokenizer, info.Model);
            var builder = new Karma.Training.Batching.AlignBatchBuilder(items, tokenizer, info.Model, hardNegatives: 2, historyDropout: 1.0);
            using var training = builder.Build(examples, withGen: false, new Random(1));
            using var evaluation = builder.Build(examples, withGen: false, rng: null);
            long[] slots = training.HistorySlot.data<long>().ToArray();
            int width = (int)training.HistorySlot.shape[1];
            for (int e = 0; e < examples.Count; e++)
            {
                bool anyHistory = slots.Skip(e * width).Take(width).Any(s => s > 0);
                Assert.Equal(string.IsNullOrWhiteSpace(examples[e].Query), anyHistory); // only browse examples keep their history
            }

            Assert.Contains(evaluation.HistorySlot.data<long>().ToArray(), s => s > 0);
        }
    }
}
