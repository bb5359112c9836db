// Package views holds the server-rendered pages (templ components). Every
// string a customer reads is in Strings, so that a translation is one more
// value of that type.
package views

// Strings are the texts of the portal pages.
type Strings struct {
	Lang              string
	SkipToContent     string
	Conversation      string
	Reference         string
	StatusOpen        string
	StatusClosed      string
	You               string
	Support           string
	Timeline          string
	NoMessages        string
	ReplyHeading      string
	ReplyLabel        string
	ReplyHint         string
	Send              string
	Sent              string
	RepliesOff        string
	ClosedNotice      string
	ExpiresNotice     string
	ErrorHeading      string
	NotFoundTitle     string
	NotFoundText      string
	GoneTitle         string
	GoneText          string
	ForbiddenTitle    string
	TooManyTitle      string
	TooManyText       string
	UnavailableTitle  string
	UnavailableText   string
	HumanCheckFailed  string
	ReplyTooLarge     string
	PrivateLinkNotice string
	Attachments       string

	// The widget's hosted form (/support/widget/form), used without
	// JavaScript or where WebAssembly is blocked.
	WidgetSkip        string
	WidgetTitle       string
	WidgetGreeting    string
	WidgetEmail       string
	WidgetName        string
	WidgetSubject     string
	WidgetDescription string
	WidgetPriority    string
	WidgetRequired    string
	WidgetOptional    string
	WidgetSend        string
	WidgetFixFields   string
	WidgetThanks      string
	WidgetReference   string
	WidgetEmailed     string
	WidgetAnother     string
	WidgetTooMany     string
	WidgetUnavailable string
	WidgetNotAllowed  string

	// Files are the texts of attachments (portal and hosted form).
	Files FileStrings

	// MyTickets are the texts of the "My tickets" pages (mytickets.templ).
	MyTickets MyTicketsStrings
	// Rate is "How did we do?" after a ticket closed.
	Rate RateStrings
}

// English is the default language.
var English = Strings{
	Lang:              "en",
	SkipToContent:     "Skip to the conversation",
	Conversation:      "Your support request",
	Reference:         "Reference",
	StatusOpen:        "Open",
	StatusClosed:      "Closed",
	You:               "You",
	Support:           "Support",
	Timeline:          "Conversation",
	NoMessages:        "No messages yet.",
	ReplyHeading:      "Reply",
	ReplyLabel:        "Your message",
	ReplyHint:         "Plain text, up to 10,000 characters. We will email you when we answer.",
	Send:              "Send reply",
	Sent:              "Thanks, your reply was sent. We will get back to you by email.",
	RepliesOff:        "Replies on this page are switched off. Answer the last email we sent you instead.",
	ClosedNotice:      "This request is closed. Replying reopens it.",
	ExpiresNotice:     "This link stops working on",
	ErrorHeading:      "Please check your reply",
	NotFoundTitle:     "This link does not work",
	NotFoundText:      "The link may be mistyped, or it was turned off. Use the link in the latest email from us, or write to us again.",
	GoneTitle:         "This conversation has expired",
	GoneText:          "The request was closed a while ago, so its link no longer opens. If you still need help, reply to our last email or contact us again.",
	ForbiddenTitle:    "Your reply could not be sent",
	TooManyTitle:      "Too many replies",
	TooManyText:       "You have sent a lot of replies in a short time. Please wait a little and try again.",
	UnavailableTitle:  "Please try again in a moment",
	UnavailableText:   "We could not check your reply just now. Nothing was lost: your text is below.",
	HumanCheckFailed:  "We could not confirm you are not a robot. Please complete the check and send again.",
	ReplyTooLarge:     "Your reply is far longer than 10,000 characters, so it could not be kept. Please write a shorter reply.",
	PrivateLinkNotice: "This page is private to you: do not share its link.",
	Attachments:       "Attachments",

	WidgetSkip:        "Skip to the form",
	WidgetTitle:       "Contact support",
	WidgetGreeting:    "Tell us what you need and we will answer by email.",
	WidgetEmail:       "Email",
	WidgetName:        "Name",
	WidgetSubject:     "Subject",
	WidgetDescription: "How can we help?",
	WidgetPriority:    "Priority",
	WidgetRequired:    "(required)",
	WidgetOptional:    "(optional)",
	WidgetSend:        "Send request",
	WidgetFixFields:   "Please correct the highlighted fields.",
	WidgetThanks:      "Thank you, we received your request",
	WidgetReference:   "Your reference is",
	WidgetEmailed:     "We emailed you a link to follow this request.",
	WidgetAnother:     "Send another request",
	WidgetTooMany:     "You have sent several requests in a short time. Please try again later; your text is still here.",
	WidgetUnavailable: "We could not take your request just now. Nothing was lost: your text is below. Please try again in a moment.",
	WidgetNotAllowed:  "This form cannot be sent from that site.",

	Files: EnglishFiles,

	MyTickets: englishMyTickets,
	Rate:      englishRate,
}
