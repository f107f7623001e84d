using System.CommandLine;
using Karma.Training.Configuration;
using Karma.Training.Objectives;
using Karma.Training.Training;

namespace Karma.Cli.Commands;

/// <summary><c>karma train pretrain|align</c>.</summary>
internal static class TrainCommands
{
    public static Command Create()
    {
        return new Command("train", "Train the backbone (stage 1) and align it to search actions (stage 2)")
        {
            Pretrain(),
            Align(),
        };
    }

    private static Command Pretrain()
    {
        var o = new CommonTrainOptions();
        var cmd = new Command("pretrain", "Stage 1: language-model pretraining on catalog text; builds the tokenizer");
        o.AddTo(cmd);
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            var options = o.Read(parse);
            var state = Pretrainer.Run(options);
            Console.WriteLine($"pretrain: {state.Step} steps in {state.Seconds:F0} s; final lm loss {state.Curve.LastOrDefault()?.Values["lm"]:F3}; checkpoint {options.OutDir}");
            return 0;
        }));
        return cmd;
    }

    private static Command Align()
    {
        var o = new CommonTrainOptions();
        var from = new Option<DirectoryInfo>("--from") { Description = "Stage-1 (pretrain) checkpoint to start from", Required = true };
        var objective = new Option<string>("--objective")
        {
            Description = "action | gen | rec | karma | action-img | karma-img",
            DefaultValueFactory = _ => "karma",
        };
        objective.AcceptOnlyFromAmong("action", "gen", "rec", "karma", "action-img", "karma-img");
        var cmd = new Command("align", "Stage 2: align the backbone to next-engagement prediction with the chosen objective") { from, objective };
        o.AddTo(cmd);
        cmd.SetAction(parse => CliErrors.Run(() =>
        {
            var options = o.Read(parse);
            var state = Aligner.Run(options, parse.GetValue(from)!.FullName, ObjectiveExtensions.Parse(parse.GetValue(objective)!));
            var last = state.Curve.LastOrDefault()?.Values ?? [];
            Console.WriteLine($"align: {state.Step} steps in {state.Seconds:F0} s; final losses {string.Join(", ", last.Select(kv => $"{kv.Key} {kv.Value:F3}"))}; checkpoint {options.OutDir}");
            return 0;
        }));
        return cmd;
    }

    /// <summary>Options every training command takes.</summary>
    private sealed class CommonTrainOptions
    {
        private readonly Option<DirectoryInfo> _data = new("--data") { Description = "Data directory (items.jsonl, events.csv)", Required = true };
        private readonly Option<DirectoryInfo> _out = new("--out") { Description = "Checkpoint directory to write", Required = true };
        private readonly Option<FileInfo?> _config = new("--config") { Description = "Training config JSON (defaults built in; see configs/)" };
        private readonly Option<int> _seed = new("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1 };
        private readonly Option<int?> _steps = new("--steps") { Description = "Override the config's step count" };
        private readonly Option<bool> _resume = new("--resume") { Description = "Continue the checkpoint in --out if there is one" };

        public void AddTo(Command cmd)
        {
            cmd.Options.Add(_data);
            cmd.Options.Add(_out);
            cmd.Options.Add(_config);
            cmd.Options.Add(_seed);
            cmd.Options.Add(_steps);
            cmd.Options.Add(_resume);
        }

        public RunOptions Read(ParseResult parse)
        {
            var file = parse.GetValue(_config);
            var config = file is null ? new TrainingConfig() : Json.Read<TrainingConfig>(file.FullName);
            if (parse.GetValue(_steps) is { } steps)
            {
                config = config with
                {
                    Pretrain = config.Pretrain with { Steps = steps },
                    Align = config.Align with { Steps = steps },
                };
            }

            config.Validate();
            return new RunOptions
            {
                DataDir = parse.GetValue(_data)!.FullName,
                OutDir = parse.GetValue(_out)!.FullName,
                Config = config,
                Seed = parse.GetValue(_seed),
                Resume = parse.GetValue(_resume),
            };
        }
    }
}
