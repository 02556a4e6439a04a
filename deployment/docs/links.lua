-- Links between the Markdown files must point at the rendered pages.
function Link(link)
  if not link.target:match('^%a[%w+.-]*:') then
    link.target = link.target:gsub('%.md$', '.html'):gsub('%.md#', '.html#')
  end
  return link
end
