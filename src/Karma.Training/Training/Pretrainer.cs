using Karma.Core.Data;
using Karma.Core.Text;
using Karma.Training.Batching;
using Karma.Training.Configuration;
using Karma.Training.Modeling;
using Karma.Training.Objectives;
using static TorchSharp.torch;

namespace Karma.Training.Training;

/// <summary>
/// Stage 1, "knowledge": trains the backbone as a language model on catalog text (category path, title,
/// brand, description), standing in for an LLM's pretrained knowledge of the domain's words.
/// </summary>
public static class Pretrainer
{
    /// <summary>Runs stage 1 and returns the checkpoint directory.</summary>
    public static TrainerState Run(RunOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = options.Config;
        config.Validate();
        var log = options.Log ?? Console.Error;
        var data = SearchLog.Load(options.DataDir);
        var split = TemporalSplit.Build(data, config.Model.MaxHistory);
        TorchRuntime.Seed(options.Seed);

        var (info, model, tokenizer, state) = Start(options, data, split, log);
        using var modelScope = model;
        if (config.Pretrain.SeqLen - 1 > info.Model.MaxSeqLen)
        {
            throw new InvalidDataException(
                $"pretrain.seq_len {config.Pretrain.SeqLen} needs model.max_seq_len of at least {config.Pretrain.SeqLen - 1} (it is {info.Model.MaxSeqLen})");
        }

        // The language model reads what existed in the training period: items first shown later are new to it.
        bool[] known = split.TrainingPeriodItems(data);
        var corpus = data.Items.Where((_, i) => known[i]).Select(i => Encode(tokenizer, i, config.Pretrain.SeqLen)).ToArray();
        var parameters = model.backbone.parameters().ToList();
        var stage = new TrainingStage("pretrain", "seq", config.Pretrain.Steps, config.Pretrain.BatchSize, config.Pretrain.LearningRate,
            "pretrain: language-model loss");
        return TrainingLoop.Run(options, stage, state, (info, model, tokenizer), parameters, rng =>
        {
            var (inputs, labels) = Batch(corpus, config.Pretrain.BatchSize, rng);
            var hidden = model.backbone.Forward(model.backbone.Embed(inputs));
            var loss = Losses.NextTokenCrossEntropy(model.backbone.Logits(hidden), labels);
            return new StepLoss(loss, [new("lm", loss.item<float>())]);
        });
    }

    /// <summary>
    /// Where the run starts: the checkpoint in <c>options.OutDir</c> when resuming (checked to be this run's), else a new
    /// tokenizer built from the training period's text and a freshly initialised model (seeded by the caller).
    /// </summary>
    private static (CheckpointInfo Info, KarmaModel Model, BpeTokenizer Tokenizer, TrainerState State) Start(RunOptions options, SearchLog data,
        TemporalSplit split, TextWriter log)
    {
        var config = options.Config;
        if (options.Resume && Checkpoint.Exists(options.OutDir))
        {
            var (info, model, tokenizer) = Checkpoint.Load(options.OutDir);
            if (info.Stage != "pretrain")
            {
                throw new InvalidDataException($"{options.OutDir} holds a '{info.Stage}' checkpoint, not a pretrain one");
            }

            ResumeGuard.Check(options.OutDir, ("seed", info.Seed, options.Seed),
                ("data", info.Data, Path.GetFullPath(options.DataDir)),
                ("pretrain settings", info.Training.Pretrain with { Steps = 0 }, config.Pretrain with { Steps = 0 }),
                ("model settings", info.Model, config.Model with { VocabSize = info.Model.VocabSize, ImageDim = info.Model.ImageDim, TextEncoder = ModelConfig.NoTextEncoder }));
            var state = ResumeGuard.ReadState(options.OutDir, info);
            log.WriteLine($"[pretrain] resuming {options.OutDir} at step {state.Step}");
            return (info, model, tokenizer, state);
        }

        log.WriteLine($"[pretrain] building a {config.Pretrain.VocabSize}-token BPE vocabulary from the training period's items and queries");
        var built = TokenizerBuilder.Build(data, split, config.Pretrain.VocabSize);
        // Stage 1 trains the language model alone; a frozen text encoder joins at stage 2 (align).
        var modelConfig = config.Model with { VocabSize = built.VocabSize, ImageDim = data.ImageDim, TextEncoder = ModelConfig.NoTextEncoder };
        using var features = ItemFeatures.Build(data.Items, built, modelConfig);
        var created = new CheckpointInfo
        {
            Stage = "pretrain",
            Model = modelConfig,
            Training = config,
            Seed = options.Seed,
            TotalSteps = config.Pretrain.Steps,
            Data = Path.GetFullPath(options.DataDir),
            ImageMean = features.ImageMean,
            ImageStd = features.ImageStd,
        };
        return (created, new KarmaModel(modelConfig, features.ImageMean, features.ImageStd), built, new TrainerState());
    }

    /// <summary>The pretraining text of an item: [BOS] category words, title, brand, description [EOS].</summary>
    public static int[] Encode(BpeTokenizer tokenizer, Item item, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(item);
        string text = item.Category.Replace('/', ' ') + " : " + item.Title
            + (item.Brand is null ? string.Empty : " , " + item.Brand)
            + (item.Description is null ? string.Empty : " . " + item.Description);
        var ids = new List<int>(maxLength) { SpecialTokens.Bos };
        ids.AddRange(tokenizer.Encode(text));
        ids.Add(SpecialTokens.Eos);
        return ids.Count > maxLength ? [.. ids.Take(maxLength)] : [.. ids];
    }

    private static (Tensor Inputs, Tensor Labels) Batch(int[][] corpus, int batchSize, Random rng)
    {
        var rows = new int[batchSize][];
        for (int i = 0; i < batchSize; i++)
        {
            rows[i] = corpus[rng.Next(corpus.Length)];
        }

        int t = rows.Max(r => r.Length) - 1;
        var inputs = new long[batchSize * t];
        var labels = new long[batchSize * t];
        Array.Fill(labels, Losses.IgnoreIndex);
        for (int i = 0; i < batchSize; i++)
        {
            var r = rows[i];
            for (int j = 0; j < r.Length - 1; j++)
            {
                inputs[i * t + j] = r[j];
                labels[i * t + j] = r[j + 1];
            }
        }

        return (tensor(inputs, [batchSize, t]), tensor(labels, [batchSize, t]));
    }
}
