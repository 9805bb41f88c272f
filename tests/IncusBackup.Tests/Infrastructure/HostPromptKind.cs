namespace IncusBackup.Tests.Infrastructure;

/// <summary>Which host UI method asked for input.</summary>
public enum HostPromptKind
{
    /// <summary>PromptForChoice: ShouldProcess under confirmation, ShouldContinue, $Host.UI.PromptForChoice.</summary>
    Choice,

    /// <summary>Prompt: mandatory parameters missing from the command line, $Host.UI.Prompt.</summary>
    Fields,

    /// <summary>ReadLine: Read-Host.</summary>
    ReadLine,

    /// <summary>ReadLineAsSecureString: Read-Host -AsSecureString.</summary>
    SecureReadLine,

    /// <summary>PromptForCredential: Get-Credential, [Credential()] parameters.</summary>
    Credential,

    /// <summary>RawUI.ReadKey: "press any key".</summary>
    ReadKey,
}
