namespace IncusBackup.Tests.Infrastructure;

/// <summary>
/// Choice indexes of the prompts PowerShell itself raises. Scripted answers can also be given by label
/// (<see cref="TestHostUI.EnqueueChoice(string)"/>), which is clearer when prompts of different shapes mix.
/// </summary>
public static class ConfirmChoice
{
    // ShouldProcess under confirmation: [Y] Yes  [A] Yes to All  [N] No  [L] No to All  [S] Suspend  [?] Help
    public const int Yes = 0;
    public const int YesToAll = 1;
    public const int No = 2;
    public const int NoToAll = 3;
    public const int Suspend = 4;

    // ShouldContinue(query, caption): [Y] Yes  [N] No
    public const int ShouldContinueYes = 0;
    public const int ShouldContinueNo = 1;

    // ShouldContinue(query, caption, ref yesToAll, ref noToAll): [Y] Yes  [A] Yes to All  [N] No  [L] No to All
    public const int ShouldContinueYesToAll = 1;
    public const int ShouldContinueNoWithToAll = 2;
    public const int ShouldContinueNoToAll = 3;
}
