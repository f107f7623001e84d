namespace Karma.Training.Objectives;

/// <summary>The stage-2 variants the same code trains (docs/model.md, "The model").</summary>
public enum Objective
{
    /// <summary>L_act only: the collapse-prone baseline.</summary>
    Action,
    /// <summary>L_act + λ_gen·L_gen.</summary>
    Gen,
    /// <summary>L_act + λ_rec·L_rec.</summary>
    Rec,
    /// <summary>L_act + λ_gen·L_gen + λ_rec·L_rec.</summary>
    Karma,
    /// <summary>KARMA plus λ_img·L_img (image-feature reconstruction from h_t).</summary>
    KarmaImg,
    /// <summary>L_act + λ_img·L_img: the image head without the text regularizers.</summary>
    ActionImg,
}

/// <summary>Each objective's command-line name and regularizers, in one table.</summary>
public static class ObjectiveExtensions
{
    // Adding an objective: a value above and a row here; the loss terms follow from its regularizers.
    private static readonly (Objective Objective, string Name, Regularizers Regularizers)[] Table =
    [
        (Objective.Action, "action", Regularizers.None),
        (Objective.Gen, "gen", Regularizers.Gen),
        (Objective.Rec, "rec", Regularizers.Rec),
        (Objective.Karma, "karma", Regularizers.Gen | Regularizers.Rec),
        (Objective.ActionImg, "action-img", Regularizers.Img),
        (Objective.KarmaImg, "karma-img", Regularizers.Gen | Regularizers.Rec | Regularizers.Img),
    ];

    /// <summary>All objectives in ablation order.</summary>
    public static readonly Objective[] All = [.. Table.Select(row => row.Objective)];

    /// <summary>The regularizers the objective adds to L_act.</summary>
    public static Regularizers Families(this Objective o) => Row(o).Regularizers;

    /// <summary>Whether the objective switches on <paramref name="family"/>.</summary>
    public static bool Uses(this Objective o, Regularizers family) => (o.Families() & family) == family;

    /// <summary>The command-line spelling.</summary>
    public static string ToArgument(this Objective o) => Row(o).Name;

    /// <summary>Parses the command-line spelling.</summary>
    public static Objective Parse(string text)
    {
        foreach (var row in Table)
        {
            if (row.Name == text)
            {
                return row.Objective;
            }
        }

        throw new ArgumentException(
            $"unknown objective '{text}' (expected {string.Join(", ", Table[..^1].Select(r => r.Name))} or {Table[^1].Name})", nameof(text));
    }

    private static (Objective Objective, string Name, Regularizers Regularizers) Row(Objective o)
    {
        foreach (var row in Table)
        {
            if (row.Objective == o)
            {
                return row;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(o), o, "not an objective");
    }
}
