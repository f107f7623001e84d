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

/// <summary>Which losses an objective switches on.</summary>
public static class ObjectiveExtensions
{
    /// <summary>All objectives in ablation order.</summary>
    public static readonly Objective[] All = [Objective.Action, Objective.Gen, Objective.Rec, Objective.Karma, Objective.ActionImg, Objective.KarmaImg];

    /// <summary>History-conditioned generation of the target text.</summary>
    public static bool UsesGen(this Objective o) => o is Objective.Gen or Objective.Karma or Objective.KarmaImg;

    /// <summary>Reconstruction of the target text from h_t.</summary>
    public static bool UsesRec(this Objective o) => o is Objective.Rec or Objective.Karma or Objective.KarmaImg;

    /// <summary>Image-feature reconstruction from h_t.</summary>
    public static bool UsesImg(this Objective o) => o is Objective.KarmaImg or Objective.ActionImg;

    /// <summary>The command-line spelling.</summary>
    public static string ToArgument(this Objective o) => o switch
    {
        Objective.Action => "action",
        Objective.Gen => "gen",
        Objective.Rec => "rec",
        Objective.Karma => "karma",
        Objective.KarmaImg => "karma-img",
        Objective.ActionImg => "action-img",
        _ => throw new ArgumentOutOfRangeException(nameof(o)),
    };

    /// <summary>Parses the command-line spelling.</summary>
    public static Objective Parse(string text) => text switch
    {
        "action" => Objective.Action,
        "gen" => Objective.Gen,
        "rec" => Objective.Rec,
        "karma" => Objective.Karma,
        "karma-img" => Objective.KarmaImg,
        "action-img" => Objective.ActionImg,
        _ => throw new ArgumentException($"unknown objective '{text}' (expected action, gen, rec, karma, action-img or karma-img)", nameof(text)),
    };
}
