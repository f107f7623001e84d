using Karma.Core.Data;
using Karma.Training.Batching;
using Karma.Training.Configuration;
using Karma.Training.Modeling;
using Karma.Training.Objectives;
using Karma.Training.Pretrained;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Karma.Training.Training;

/// <summary>
/// Stage 2, alignment: starts from a stage-1 checkpoint and trains the backbone, item encoder and heads on
/// next-engagement prediction with the chosen objective's losses.
/// </summary>
public static class Aligner
{
    /// <summary>Runs stage 2 from <paramref name="initFrom"/> (a pretrain checkpoint) into <c>options.OutDir</c>.</summary>
    public static TrainerState Run(RunOptions options, string initFrom, Objective objective)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = options.Config;
        config.Validate();
        var log = options.Log ?? Console.Error;
        TorchRuntime.Seed(options.Seed);
        bool resuming = options.Resume && Checkpoint.Exists(options.OutDir);
        var (info, model, tokenizer) = Checkpoint.Load(resuming ? options.OutDir : initFrom);
        TrainerState state = new();
        if (resuming)
        {
            if (info.Stage != "align" || info.Objective != objective.ToArgument())
            {
                throw new InvalidDataException(
                    $"{options.OutDir} holds a '{info.Stage}' checkpoint with objective '{info.Objective}', not align/{objective.ToArgument()}");
            }

            ResumeGuard.Check(options.OutDir, ("seed", info.Seed, options.Seed),
                ("parent checkpoint", info.InitFrom, Path.GetFullPath(initFrom)),
                ("data", info.Data, Path.GetFullPath(options.DataDir)),
                ("align settings", info.Training.Align with { Steps = 0 }, config.Align with { Steps = 0 }));
            state = ResumeGuard.ReadState(options.OutDir, info);
            log.WriteLine($"[align {objective.ToArgument()}] resuming {options.OutDir} at step {state.Step}");
        }
        else
        {
            if (info.Stage != "pretrain")
            {
                throw new InvalidDataException($"{initFrom} holds a '{info.Stage}' checkpoint; align starts from a pretrain checkpoint");
            }

            // Stage-2 settings come from this run's config; model sizes stay those of the stage-1 checkpoint, and the
            // frozen text encoder (an input, not a size of the language model) is the run's choice.
            var modelConfig = info.Model with { TextEncoder = config.Model.TextEncoder };
            if (modelConfig.HasTextEncoder != info.Model.HasTextEncoder)
            {
                model = WithTextEncoder(model, modelConfig, info);
            }

            info = info with
            {
                Stage = "align",
                Objective = objective.ToArgument(),
                Model = modelConfig,
                Training = config with { Model = modelConfig },
                Seed = options.Seed,
                Step = 0,
                TotalSteps = config.Align.Steps,
                Data = Path.GetFullPath(options.DataDir),
                InitFrom = Path.GetFullPath(initFrom),
            };
        }

        using var modelScope = model;
        var data = SearchLog.Load(options.DataDir);
        var split = TemporalSplit.Build(data, info.Model.MaxHistory);
        if (split.Train.Count < 2)
        {
            throw new InvalidDataException($"{options.DataDir}: only {split.Train.Count} training examples; need at least 2");
        }

        using var text = TextInputs.For(info.Model, data, options.DataDir, log);
        using var items = ItemFeatures.Build(data.Items, tokenizer, info.Model, text?.Items);
        var builder = new AlignBatchBuilder(items, tokenizer, info.Model, config.Align.HardNegatives, config.Align.HistoryDropout, text);
        var parameters = model.parameters().Where(p => p.requires_grad).ToList();
        using var optimizer = optim.AdamW(parameters, config.Align.LearningRate, weight_decay: 0.01);
        if (resuming && File.Exists(Path.Combine(options.OutDir, Checkpoint.OptimizerFile)))
        {
            optimizer.load_py(Path.Combine(options.OutDir, Checkpoint.OptimizerFile));
        }

        model.train();
        int total = config.Align.Steps, batchSize = Math.Min(config.Align.BatchSize, split.Train.Count);
        string label = "align " + objective.ToArgument();
        log.WriteLine($"[{label}] {split.Train.Count} training examples, {split.Test.Count} test users, {data.Items.Count} items");
        var progress = new ProgressReporter(label, total, "ex", log, startStep: state.Step);
        var sums = new Dictionary<string, double>();
        int windowCount = 0;
        var curve = state.Curve;
        double secondsBefore = state.Seconds;
        int firstStep = state.Step;
        var examples = new InteractionExample[batchSize];
        for (int step = state.Step; step < total; step++)
        {
            var rng = TorchRuntime.StepRandom(options.Seed, step);
            for (int i = 0; i < batchSize; i++)
            {
                examples[i] = split.Train[rng.Next(split.Train.Count)];
            }

            foreach (var g in optimizer.ParamGroups)
            {
                g.LearningRate = LearningRateSchedule.At(step, total, config.Align.LearningRate);
            }

            AlignStep.Terms terms;
            using (var scope = NewDisposeScope())
            {
                using var batch = builder.Build(examples, objective.UsesGen(), rng);
                terms = AlignStep.Loss(model, items, batch, objective, config.Align);
                optimizer.zero_grad();
                terms.Total.backward();
                nn.utils.clip_grad_norm_(parameters, 1.0);
                optimizer.step();
            }

            Accumulate(sums, "act", terms.Act);
            Accumulate(sums, "gen", terms.Gen);
            Accumulate(sums, "rec", terms.Rec);
            Accumulate(sums, "img", terms.Img);
            Accumulate(sums, "sem", terms.Sem);
            windowCount++;
            int done = step + 1;
            if (done % 50 == 0 || done == total)
            {
                curve.Add(new LossPoint(done, sums.ToDictionary(kv => kv.Key, kv => kv.Value / windowCount)));
                sums.Clear();
                windowCount = 0;
            }

            progress.Report(done, (long)(done - firstStep) * batchSize, () => Describe(terms));
            bool stop = options.StopAtStep is { } stopAt && done >= stopAt;
            bool last = done == total || stop;
            if (last || (options.CheckpointEvery > 0 && done % options.CheckpointEvery == 0))
            {
                state = new TrainerState { Step = done, Curve = curve, Seconds = secondsBefore + progress.Elapsed.TotalSeconds };
                Checkpoint.Save(options.OutDir, info with { Step = done, Created = DateTimeOffset.UtcNow }, model, tokenizer, optimizer, state);
                LossCurvePlot.Save(curve, Path.Combine(options.OutDir, LossCurvePlot.FileName), $"align ({objective.ToArgument()}): loss terms");
            }

            if (stop)
            {
                break;
            }
        }

        return state;
    }

    /// <summary>
    /// The stage-1 model rebuilt with the text encoder's input layers: every stage-1 weight carried over, the new
    /// projections freshly initialised (seeded like the rest of the run).
    /// </summary>
    private static KarmaModel WithTextEncoder(KarmaModel stage1, ModelConfig config, CheckpointInfo info)
    {
        var widened = new KarmaModel(config, info.ImageMean.Length > 0 ? info.ImageMean : null, info.ImageStd.Length > 0 ? info.ImageStd : null);
        var (missing, unexpected) = widened.load_state_dict(stage1.state_dict(), strict: false);
        if (unexpected.Count > 0 || missing.Any(name => !name.Contains("text_", StringComparison.Ordinal) && !name.Contains("query_", StringComparison.Ordinal)))
        {
            widened.Dispose();
            throw new InvalidDataException($"stage-1 weights do not fit the model with a text encoder: missing {string.Join(", ", missing)}; unexpected {string.Join(", ", unexpected)}");
        }

        stage1.Dispose();
        return widened;
    }

    private static void Accumulate(Dictionary<string, double> sums, string key, float? value)
    {
        if (value is { } v)
        {
            sums[key] = sums.GetValueOrDefault(key) + v;
        }
    }

    private static string Describe(AlignStep.Terms t)
    {
        string s = $"act {t.Act:F3}";
        if (t.Gen is { } g)
        {
            s += $" gen {g:F3}";
        }

        if (t.Rec is { } r)
        {
            s += $" rec {r:F3}";
        }

        if (t.Img is { } i)
        {
            s += $" img {i:F3}";
        }

        if (t.Sem is { } m)
        {
            s += $" sem {m:F3}";
        }

        return s;
    }
}
