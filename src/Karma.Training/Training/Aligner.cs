using Karma.Core.Data;
using Karma.Core.Text;
using Karma.Training.Batching;
using Karma.Training.Configuration;
using Karma.Training.Modeling;
using Karma.Training.Objectives;
using Karma.Training.Pretrained;

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
        var (info, model, tokenizer, state) = Start(options, initFrom, objective, log);
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
        int batchSize = Math.Min(config.Align.BatchSize, split.Train.Count);
        string label = "align " + objective.ToArgument();
        log.WriteLine($"[{label}] {split.Train.Count} training examples, {split.Test.Count} test users, {data.Items.Count} items");
        var stage = new TrainingStage(label, "ex", config.Align.Steps, batchSize, config.Align.LearningRate,
            $"align ({objective.ToArgument()}): loss terms");
        var examples = new InteractionExample[batchSize];
        bool generates = objective.Uses(Regularizers.Gen);
        return TrainingLoop.Run(options, stage, state, (info, model, tokenizer), parameters, rng =>
        {
            for (int i = 0; i < batchSize; i++)
            {
                examples[i] = split.Train[rng.Next(split.Train.Count)];
            }

            using var batch = builder.Build(examples, generates, rng);
            return AlignStep.Loss(model, items, batch, objective, config.Align);
        });
    }

    /// <summary>
    /// Where the run starts: the checkpoint in <c>options.OutDir</c> when resuming (checked to be this run's), else the
    /// stage-1 checkpoint made into a stage-2 one (this run's settings and text encoder, the stage-1 model sizes).
    /// </summary>
    private static (CheckpointInfo Info, KarmaModel Model, BpeTokenizer Tokenizer, TrainerState State) Start(RunOptions options, string initFrom,
        Objective objective, TextWriter log)
    {
        var config = options.Config;
        bool resuming = options.Resume && Checkpoint.Exists(options.OutDir);
        var (info, model, tokenizer) = Checkpoint.Load(resuming ? options.OutDir : initFrom);
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
            var state = ResumeGuard.ReadState(options.OutDir, info);
            log.WriteLine($"[align {objective.ToArgument()}] resuming {options.OutDir} at step {state.Step}");
            return (info, model, tokenizer, state);
        }

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

        var stage2 = info with
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
        return (stage2, model, tokenizer, new TrainerState());
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
}
